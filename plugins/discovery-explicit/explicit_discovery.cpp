#include "explicit_discovery.hpp"

#include <nas_sync/error.hpp>

#include <algorithm>

namespace nas_sync::explicit_discovery {

DiscoveryResult ExplicitDiscovery::discover(const DatabaseSchema& schema) {
    DiscoveryResult result;
    for (const auto& wanted : tables_) {
        const auto it = std::find_if(schema.tables.begin(), schema.tables.end(),
                                     [&](const TableSchema& t) { return t.name == wanted.name; });
        if (it == schema.tables.end())
            throw Error(ErrorCode::config, "listed table '" + wanted.name + "' does not exist in the database");
        const auto* key = it->find(wanted.primary_key);
        if (key == nullptr)
            throw Error(ErrorCode::config,
                        "listed table '" + wanted.name + "' has no primary-key column '" + wanted.primary_key + "'");
        if (!it->is_sole_primary_key(wanted.primary_key))
            throw Error(ErrorCode::config, "listed table '" + wanted.name + "': column '" + wanted.primary_key +
                                               "' is not the table's (single-column) primary key");
        if (it->find(wanted.timestamp_column) == nullptr)
            throw Error(ErrorCode::config, "listed table '" + wanted.name + "' has no timestamp column '" +
                                               wanted.timestamp_column + "'");
        result.tables.push_back(wanted);
    }
    std::sort(result.tables.begin(), result.tables.end(),
              [](const SyncedTable& a, const SyncedTable& b) { return a.name < b.name; });
    return result;
}

}  // namespace nas_sync::explicit_discovery
