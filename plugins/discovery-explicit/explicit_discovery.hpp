// Discovery `explicit`: exactly the tables the pipeline lists.
#pragma once

#include <nas_sync/discovery.hpp>

#include <string>
#include <vector>

namespace nas_sync::explicit_discovery {

class ExplicitDiscovery final : public TableDiscovery {
public:
    // Every listed table with its key and timestamp column.
    explicit ExplicitDiscovery(std::vector<SyncedTable> tables) : tables_(std::move(tables)) {}
    DiscoveryResult discover(const DatabaseSchema& schema) override;

private:
    std::vector<SyncedTable> tables_;
};

}  // namespace nas_sync::explicit_discovery
