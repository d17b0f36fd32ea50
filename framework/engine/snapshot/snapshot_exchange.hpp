// The `snapshot` exchange: the original's share layout (snapshot_layout.hpp)
// and nothing else, so that nas-sync and the original's clients share a folder.
#pragma once

#include "engine/exchange/exchange.hpp"
#include "engine/exchange/sync_round.hpp"
#include "engine/merge/peer_merge.hpp"
#include "engine/snapshot/snapshot_layout.hpp"

namespace nas_sync {

class SnapshotExchange final : public Exchange {
public:
    explicit SnapshotExchange(SyncContext context)
        : ctx_(std::move(context)),
          round_(ctx_),
          merge_(ctx_.db, ctx_.resolvers, ctx_.on_conflict, ctx_.on_progress),
          layout_(ctx_, round_, merge_) {}

    SyncResult sync() override;
    Status status() override;

private:
    SyncContext ctx_;
    SyncRound round_;
    PeerMerge merge_;
    SnapshotLayout layout_;
};

}  // namespace nas_sync
