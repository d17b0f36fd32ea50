// Entry point of the `explicit` discovery plugin.
#include <nas_sync/plugin.hpp>

#include <algorithm>

#include "explicit_discovery.hpp"

namespace {

const nas_sync::OptionSpec options[] = {
    {"tables", nas_sync::OptionType::string_list, true, "", "The tables to sync"},
    {"primary_key", nas_sync::OptionType::string, false, "id", "Default key column (several: comma-separated)"},
    {"timestamp_column", nas_sync::OptionType::string, false, "updatedAt",
     "Default last-modified column ('none': versions are capture times)"},
    {"primary_keys", nas_sync::OptionType::string_map, false, "",
     "Per-table key columns: {table: column} or {table: \"a,b\"}"},
    {"timestamp_columns", nas_sync::OptionType::string_map, false, "",
     "Per-table last-modified column: {table: column}, or {table: none}"},
};

std::unique_ptr<nas_sync::TableDiscovery> make(const nas_sync::PluginOptions& o) {
    const auto& names = o.list("tables");
    if (names.empty()) throw nas_sync::OptionError("tables", "list at least one table");
    // Table names compare as SQLite compares them: case aside.
    auto listed = [&](const std::string& table) {
        return std::count_if(names.begin(), names.end(), [&](const std::string& n) { return nas_sync::same_sql_name(n, table); });
    };
    for (const auto& name : names)
        if (listed(name) > 1) throw nas_sync::OptionError("tables", "table '" + name + "' is listed twice");
    for (const char* per_table : {"primary_keys", "timestamp_columns"})
        for (const auto& [table, column] : o.map(per_table))
            if (listed(table) == 0)
                throw nas_sync::OptionError(per_table, "names table '" + table + "', which 'tables' does not list");
    // The per-table value for `name`, else the default.
    auto for_table = [&](const char* per_table, const char* fallback, const std::string& name) {
        for (const auto& [table, column] : o.map(per_table))
            if (nas_sync::same_sql_name(table, name)) return column;
        return o.string(fallback);
    };
    // "a,b" names a composite key; "none" a table without a timestamp.
    auto key_columns = [](const std::string& text, const std::string& name) {
        std::vector<std::string> columns;
        std::size_t start = 0;
        for (;;) {
            const auto comma = text.find(',', start);
            auto column = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            column.erase(0, column.find_first_not_of(' '));
            column.erase(column.find_last_not_of(' ') + 1);
            if (column.empty())
                throw nas_sync::OptionError("primary_keys", "table '" + name + "': key '" + text + "' names an empty column");
            columns.push_back(column);
            if (comma == std::string::npos) return columns;
            start = comma + 1;
        }
    };
    std::vector<nas_sync::SyncedTable> tables;
    for (const auto& name : names) {
        const auto timestamp = for_table("timestamp_columns", "timestamp_column", name);
        tables.push_back({name, key_columns(for_table("primary_keys", "primary_key", name), name),
                          timestamp == "none" ? std::string() : timestamp});
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
