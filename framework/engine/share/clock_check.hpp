// Clocks that are off, told apart from the share's own clock: a version time
// is when a client says a change happened, and the higher one wins, so a
// client whose clock (or application) is a day ahead wins every conflict
// for a day. The share's clock is what its objects' modification times say:
// a peer cannot have changed a row after it published the object holding
// it, and our own claim's listed time against our clock when we put it gives
// how far our clock is from the share's (ShareGuard).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace nas_sync {

// How far ahead a version or a clock may be before it is warned about.
inline constexpr std::int64_t clock_tolerance_ms = 5 * 60 * 1000;

// A peer's object published (by the share's clock) at `published_ms` holds
// changes dated up to `newest_ms`.
std::optional<std::string> peer_clock_warning(const std::string& peer, std::int64_t newest_ms,
                                              std::int64_t published_ms);

// Our clock minus the share's, measured from our own last put.
std::optional<std::string> local_clock_warning(std::int64_t share_offset_ms);

// A local change dated `time_ms`, with the share's clock now at `share_now_ms`.
std::optional<std::string> local_change_warning(const std::string& table, const std::string& key,
                                                std::int64_t time_ms, std::int64_t share_now_ms);

// "12 min", "1 h 2 min", "3 d 4 h", for people.
std::string describe_span(std::int64_t ms);

}  // namespace nas_sync
