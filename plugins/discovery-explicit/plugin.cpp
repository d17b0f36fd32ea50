// Entry point of the `explicit` discovery plugin.
#include <nas_sync/plugin.hpp>

#include <set>

#include "explicit_discovery.hpp"

namespace {

const nas_sync::OptionSpec options[] = {
    {"tables", nas_sync::OptionType::string_list, true, "", "The tables to sync"},
    {"primary_key", nas_sync::OptionType::string, false, "id", "Default primary-key column"},
    {"timestamp_column", nas_sync::OptionType::string, false, "updatedAt", "Default last-modified column"},
    {"primary_keys", nas_sync::OptionType::string_map, false, "", "Per-table primary-key column: {table: column}"},
    {"timestamp_columns", nas_sync::OptionType::string_map, false, "", "Per-table last-modified column: {table: column}"},
};

std::unique_ptr<nas_sync::TableDiscovery> make(const nas_sync::PluginOptions& o) {
    const auto& names = o.list("tables");
    if (names.empty()) throw nas_sync::OptionError("tables", "list at least one table");
    const std::set<std::string> listed(names.begin(), names.end());
    if (listed.size() != names.size()) throw nas_sync::OptionError("tables", "a table is listed twice");
    for (const char* per_table : {"primary_keys", "timestamp_columns"})
        for (const auto& [table, column] : o.map(per_table))
            if (!listed.count(table))
                throw nas_sync::OptionError(per_table, "names table '" + table + "', which 'tables' does not list");
    std::vector<nas_sync::SyncedTable> tables;
    for (const auto& name : names) {
        const auto& keys = o.map("primary_keys");
        const auto& times = o.map("timestamp_columns");
        tables.push_back({name, keys.count(name) ? keys.at(name) : o.string("primary_key"),
                          times.count(name) ? times.at(name) : o.string("timestamp_column")});
    }
    return std::make_unique<nas_sync::explicit_discovery::ExplicitDiscovery>(std::move(tables));
}

}  // namespace

NAS_SYNC_PLUGIN((nas_sync::PluginDescriptor{
    .kind = nas_sync::PluginKind::discovery,
    .name = "explicit",
    .version = "1.0.0",
    .description = "Exactly the tables listed in the pipeline, with their key and timestamp columns",
    .options = options,
    .make_discovery = make,
}))
