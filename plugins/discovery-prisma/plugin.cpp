// Entry point of the `prisma` discovery plugin.
#include <nas_sync/plugin.hpp>

#include "prisma_discovery.hpp"

namespace {

const nas_sync::OptionSpec options[] = {
    {"exclude", nas_sync::OptionType::string_list, false, "", "Tables never synced (models kept on this computer)"},
    {"timestamp_columns", nas_sync::OptionType::string_map, false, "",
     "Per-table last-modified column instead of updatedAt: {table: column}, or {table: none}"},
};

std::unique_ptr<nas_sync::TableDiscovery> make(const nas_sync::PluginOptions& o) {
    nas_sync::prisma_discovery::Rules rules;
    for (const auto& t : o.list("exclude")) rules.exclude.insert(t);
    rules.timestamp_columns = o.map("timestamp_columns");
    return std::make_unique<nas_sync::prisma_discovery::PrismaDiscovery>(std::move(rules));
}

}  // namespace

NAS_SYNC_PLUGIN((nas_sync::PluginDescriptor{
    .kind = nas_sync::PluginKind::discovery,
    .name = "prisma",
    .version = "1.0.0",
    .description = "The tables of a Prisma database: models by their @id, many-to-many tables by (A, B), updatedAt",
    .options = options,
    .make_discovery = make,
}))
