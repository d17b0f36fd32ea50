#include "engine/exchange/exchange.hpp"
#include "engine/journal/journal_exchange.hpp"
#include "engine/snapshot/snapshot_exchange.hpp"

namespace nas_sync {

std::unique_ptr<Exchange> make_exchange(ExchangeLayout layout, SyncContext context) {
    switch (layout) {
        case ExchangeLayout::snapshot: return std::make_unique<SnapshotExchange>(std::move(context));
        case ExchangeLayout::journal: return std::make_unique<JournalExchange>(std::move(context));
    }
    return std::make_unique<SnapshotExchange>(std::move(context));
}

}  // namespace nas_sync
