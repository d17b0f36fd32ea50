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
        const std::string problem = table->key_problem(wanted.key_columns);
        if (!problem.empty())
            throw Error(ErrorCode::config, "listed table '" + wanted.name + "' cannot be keyed by (" +
                                               TableSchema::joined(wanted.key_columns) + "): " + problem);
        const auto* timestamp = wanted.timestamp_column.empty() ? nullptr : table->find(wanted.timestamp_column);
        if (!wanted.timestamp_column.empty() && timestamp == nullptr)
            throw Error(ErrorCode::config, "listed table '" + wanted.name + "' has no timestamp column '" +
                                               wanted.timestamp_column + "' (say 'none' for a table without one)");
        SyncedTable chosen{table->name, {}, timestamp ? timestamp->name : ""};
        for (const auto& key : wanted.key_columns) chosen.key_columns.push_back(table->find(key)->name);
        result.tables.push_back(std::move(chosen));
    }
    std::sort(result.tables.begin(), result.tables.end(),
              [](const SyncedTable& a, const SyncedTable& b) { return a.name < b.name; });
    return result;
}

}  // namespace nas_sync::explicit_discovery
