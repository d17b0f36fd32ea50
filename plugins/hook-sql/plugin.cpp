// Entry point of the `sql` hook plugin.
#include <nas_sync/plugin.hpp>

#include "sql_hook.hpp"

namespace {

const nas_sync::OptionSpec options[] = {
    {"statements", nas_sync::OptionType::string_list, true, "",
     "SQL run on the local database after a sync that changed rows, all in one transaction"},
};

std::unique_ptr<nas_sync::SyncHook> make(const nas_sync::PluginOptions& o) {
    const auto& statements = o.list("statements");
    if (statements.empty()) throw nas_sync::OptionError("statements", "write at least one SQL statement");
    for (std::size_t i = 0; i < statements.size(); ++i)
        if (statements[i].find_first_not_of(" \t\r\n") == std::string::npos)
            throw nas_sync::OptionError("statements", "statement " + std::to_string(i) + " is empty");
    return std::make_unique<nas_sync::sql_hook::SqlHook>(statements);
}

}  // namespace

NAS_SYNC_PLUGIN((nas_sync::PluginDescriptor{
    .kind = nas_sync::PluginKind::hook,
    .name = "sql",
    .version = "1.0.0",
    .description = "Runs SQL statements on the local database in one transaction after a sync that changed rows",
    .options = options,
    .make_hook = make,
}))
