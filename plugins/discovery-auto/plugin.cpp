// Entry point of the `auto` discovery plugin.
#include <nas_sync/plugin.hpp>

#include "auto_discovery.hpp"

namespace {

const nas_sync::OptionSpec options[] = {
    {"primary_key", nas_sync::OptionType::string, false, "id", "Primary-key column every synced table has (TEXT)"},
    {"timestamp_column", nas_sync::OptionType::string, false, "updatedAt", "Default last-modified column"},
    {"timestamp_columns", nas_sync::OptionType::string_map, false, "", "Per-table last-modified column: {table: column}"},
    {"exclude", nas_sync::OptionType::string_list, false, "", "Tables never synced (also silences their warnings)"},
    {"all_keyed_tables", nas_sync::OptionType::boolean, false, "false",
     "Also sync tables keyed by a composite primary key or a UNIQUE index over NOT NULL columns, and tables "
     "without the timestamp column (the original's clients do not sync these)"},
};

std::unique_ptr<nas_sync::TableDiscovery> make(const nas_sync::PluginOptions& o) {
    nas_sync::auto_discovery::Rules rules;
    rules.primary_key = o.string("primary_key");
    rules.timestamp_column = o.string("timestamp_column");
    rules.timestamp_columns = o.map("timestamp_columns");
    for (const auto& t : o.list("exclude")) rules.exclude.insert(t);
    rules.all_keyed_tables = o.boolean("all_keyed_tables");
    if (rules.primary_key.empty()) throw nas_sync::OptionError("primary_key", "must not be empty");
    if (rules.timestamp_column.empty()) throw nas_sync::OptionError("timestamp_column", "must not be empty");
    return std::make_unique<nas_sync::auto_discovery::AutoDiscovery>(std::move(rules));
}

}  // namespace

NAS_SYNC_PLUGIN((nas_sync::PluginDescriptor{
    .kind = nas_sync::PluginKind::discovery,
    .name = "auto",
    .version = "1.0.0",
    .description = "The original sqlite-nas-sync's rules: every table with a TEXT key and a timestamp column",
    .options = options,
    .make_discovery = make,
}))
