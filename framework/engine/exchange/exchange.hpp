// An exchange: how clients exchange their data over a transport (the layout
// of the share, what a sync reads and publishes). The client builds one, for
// the pipeline's `exchange:`, and syncs through it:
//   snapshot   the original's layout: one database copy per client (engine/snapshot/)
//   journal    immutable change segments and occasional bases (engine/journal/)
#pragma once

#include <memory>

#include "engine/exchange/sync_context.hpp"
#include "nas_sync/pipeline.hpp"
#include "nas_sync/sync_result.hpp"

namespace nas_sync {

class Exchange {
public:
    virtual ~Exchange() = default;
    Exchange() = default;
    Exchange(const Exchange&) = delete;
    Exchange& operator=(const Exchange&) = delete;

    // One sync: capture local changes, read what peers published, publish
    // ours. A problem with one peer is a warning in the result; a failure of
    // the sync as a whole throws nas_sync::Error.
    virtual SyncResult sync() = 0;
    // The peers on the share and how far behind we are; reads, changes nothing.
    virtual Status status() = 0;
};

std::unique_ptr<Exchange> make_exchange(ExchangeLayout layout, SyncContext context);

}  // namespace nas_sync
