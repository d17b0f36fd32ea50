#include <fmt/format.h>

#include <algorithm>

#include "database/schema.hpp"
#include "host/loaded_pipeline.hpp"

namespace nas_sync {

LoadedPipeline::LoadedPipeline(PipelineConfig config, const TransportWrapper& wrap_transport)
    : config_(std::move(config)) {
    validate_pipeline(config_);
    registry_ = std::make_shared<PluginRegistry>(PluginRegistry::search_path(config_.plugin_paths));
    registry_->require_no_problems();
    transport_ = registry_->make_transport(config_.transport, config_.base_dir);
    if (wrap_transport) transport_ = wrap_transport(transport_);
    discovery_ = registry_->make_discovery(config_.discovery, config_.base_dir);
    std::vector<ResolverEntry> entries;
    for (const auto& section : config_.resolvers)
        entries.push_back({section.plugin, section.tables, registry_->make_resolver(section, config_.base_dir)});
    resolvers_ = ResolverChain(std::move(entries));
}

std::vector<TableInfo> LoadedPipeline::discover_tables(SQLite::Database& db, std::vector<std::string>& warnings) const {
    const DatabaseSchema schema = read_schema(db);
    DiscoveryResult result;
    try {
        result = discovery_->discover(schema);
    } catch (const Error& e) {
        throw Error(e.code(), fmt::format("{}: discovery '{}' on database '{}': {}", config_.discovery.location.str(),
                                          config_.discovery.plugin, config_.database.string(), e.what()));
    }
    warnings.insert(warnings.end(), result.warnings.begin(), result.warnings.end());
    std::vector<TableInfo> tables;
    for (const auto& chosen : result.tables) {
        const auto it = std::find_if(schema.tables.begin(), schema.tables.end(),
                                     [&](const TableSchema& t) { return t.name == chosen.name; });
        if (it == schema.tables.end() || !it->find(chosen.primary_key) || !it->find(chosen.timestamp_column))
            throw Error(ErrorCode::internal,
                        fmt::format("discovery '{}' chose table '{}' with columns '{}' and '{}', which the "
                                    "database does not have",
                                    config_.discovery.plugin, chosen.name, chosen.primary_key,
                                    chosen.timestamp_column));
        tables.push_back({chosen.name, chosen.primary_key, chosen.timestamp_column, it->columns});
    }
    std::sort(tables.begin(), tables.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    for (const auto& section : config_.resolvers)
        for (const auto& t : section.tables)
            if (std::none_of(tables.begin(), tables.end(), [&](const TableInfo& info) { return info.name == t; }))
                warnings.push_back(fmt::format("{}: resolver '{}' is limited to table '{}', which is not synced",
                                               section.location.str(), section.plugin, t));
    return tables;
}

}  // namespace nas_sync
