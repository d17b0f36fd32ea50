#include "explicit_discovery.hpp"

#include <nas_sync/error.hpp>

#include <algorithm>

namespace nas_sync::explicit_discovery {

// Listed names match the schema's as SQLite matches them (case aside); the
// schema's spelling is what the engine gets.
DiscoveryResult ExplicitDiscovery::discover(const DatabaseSchema& schema) {
    DiscoveryResult result;
    for (const auto& wanted : tables_) {
        const auto* table = schema.find(wanted.name);
        if (table == nullptr)
            throw Error(ErrorCode::config, "listed table '" + wanted.name + "' does not exist in the database");
        const auto* key = table->find(wanted.primary_key);
        if (key == nullptr)
            throw Error(ErrorCode::config,
                        "listed table '" + wanted.name + "' has no primary-key column '" + wanted.primary_key + "'");
        if (!table->is_sole_primary_key(wanted.primary_key))
            throw Error(ErrorCode::config, "listed table '" + wanted.name + "': column '" + wanted.primary_key +
                                               "' is not the table's (single-column) primary key");
        const auto* timestamp = table->find(wanted.timestamp_column);
        if (timestamp == nullptr)
            throw Error(ErrorCode::config, "listed table '" + wanted.name + "' has no timestamp column '" +
                                               wanted.timestamp_column + "'");
        result.tables.push_back({table->name, key->name, timestamp->name});
    }
    std::sort(result.tables.begin(), result.tables.end(),
              [](const SyncedTable& a, const SyncedTable& b) { return a.name < b.name; });
    return result;
}

}  // namespace nas_sync::explicit_discovery
