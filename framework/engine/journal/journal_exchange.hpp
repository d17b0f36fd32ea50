// The `journal` exchange: each client publishes immutable change segments
// (the rows and deletions it changed, with their versions) and now and then a
// base snapshot (journal_publisher.hpp); peers read only the segments they
// have not seen, so a sync costs what changed, not the database size. A first
// contact, or a reader whose next segment is gone, merges the peer's newest
// base in one pass with the segments after it (base_merge.hpp). Peers that
// publish only snapshots (the original's clients) are read through the
// snapshot layout, and `journal.snapshot_every` keeps our own snapshot fresh
// for them. Layout on the share: journal_layout.hpp.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "engine/exchange/exchange.hpp"
#include "engine/exchange/sync_round.hpp"
#include "engine/journal/journal_layout.hpp"
#include "engine/journal/journal_publisher.hpp"
#include "engine/merge/peer_merge.hpp"
#include "engine/snapshot/snapshot_layout.hpp"

namespace nas_sync {

class JournalExchange final : public Exchange {
public:
    explicit JournalExchange(SyncContext context)
        : ctx_(std::move(context)),
          round_(ctx_),
          merge_(ctx_.db, ctx_.resolvers, ctx_.on_conflict, ctx_.on_progress),
          snapshots_(ctx_, round_, merge_),
          publisher_(ctx_, round_) {}

    SyncResult sync() override;
    Status status() override;

private:
    // Reads what is new of a peer's journal; the last segment read of it after this round.
    std::int64_t pull(const std::string& peer, const PeerJournal& journal, std::optional<std::int64_t> progress,
                      const WorkFolder& work, SyncResult& result);
    // Applies one segment of the peer and records `upto` as read in the same
    // last transaction. False when it cannot be used now.
    bool apply_segment(const std::string& peer, const ObjectInfo& object, std::int64_t upto, const WorkFolder& work,
                       SyncResult& result);

    SyncContext ctx_;
    SyncRound round_;
    PeerMerge merge_;
    SnapshotLayout snapshots_;
    JournalPublisher publisher_;
};

}  // namespace nas_sync
