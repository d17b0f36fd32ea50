// A peer's newest journal base merged in one pass with the segments that
// follow it (a first contact, or a reader whose next segment is gone): a key
// the segments changed is applied once, in its newest state, instead of being
// inserted from the base and then updated again per segment.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/exchange/sync_context.hpp"
#include "engine/exchange/sync_round.hpp"
#include "engine/journal/journal_layout.hpp"
#include "engine/merge/peer_merge.hpp"
#include "engine/peer/work_folder.hpp"

namespace nas_sync {

// Segment files merged with a base in one pass at most (the rest are applied
// one by one afterwards): their keys are held in memory meanwhile.
inline constexpr std::uint64_t first_contact_segment_bytes = 128ull << 20;

// Merges the peer's newest base and the segments after it that can be read
// now (within first_contact_segment_bytes), and records the last one as read
// in the same transaction. The number of the last object merged, or nothing
// when the base cannot be used now (reported in the result).
std::optional<std::int64_t> merge_base_and_segments(SyncContext& context, SyncRound& round, PeerMerge& merge,
                                                    const std::string& peer, const PeerJournal& journal,
                                                    const WorkFolder& work, SyncResult& result);

}  // namespace nas_sync
