#include "engine/share/clock_check.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "engine/versions/versions.hpp"

namespace nas_sync {

std::string describe_span(std::int64_t ms) {
    const std::int64_t minutes = (std::llabs(ms) + 30'000) / 60'000;  // to the nearest minute
    if (minutes < 60) return fmt::format("{} min", minutes);
    if (minutes < 48 * 60) return fmt::format("{} h {} min", minutes / 60, minutes % 60);
    return fmt::format("{} d {} h", minutes / (24 * 60), minutes / 60 % 24);
}

std::optional<std::string> peer_clock_warning(const std::string& peer, std::int64_t newest_ms,
                                              std::int64_t published_ms) {
    if (newest_ms == unknown_time || newest_ms - published_ms <= clock_tolerance_ms) return std::nullopt;
    return fmt::format(
        "peer '{}' publishes changes dated up to {}, {} ahead of the share's clock when it published them ({}): its "
        "clock or its application's timestamps are ahead, so its changes win conflicts they should not; set its "
        "clock right",
        peer, format_timestamp_ms(newest_ms), describe_span(newest_ms - published_ms), format_timestamp_ms(published_ms));
}

std::optional<std::string> local_clock_warning(std::int64_t share_offset_ms) {
    if (std::llabs(share_offset_ms) <= clock_tolerance_ms) return std::nullopt;
    return fmt::format("this computer's clock is {} {} the share's: set it right (NTP), or its changes {}",
                       describe_span(share_offset_ms), share_offset_ms < 0 ? "ahead of" : "behind",
                       share_offset_ms < 0 ? "win conflicts they should not" : "lose conflicts they should win");
}

std::optional<std::string> local_change_warning(const std::string& table, const std::string& key,
                                                std::int64_t time_ms, std::int64_t share_now_ms) {
    if (time_ms == unknown_time || time_ms - share_now_ms <= clock_tolerance_ms) return std::nullopt;
    return fmt::format(
        "a local change of table '{}' (key '{}') is dated {}, {} ahead of the share's clock: this computer's clock or "
        "the application's timestamps are ahead, so the change wins conflicts it should not",
        table, key, format_timestamp_ms(time_ms), describe_span(time_ms - share_now_ms));
}

}  // namespace nas_sync
