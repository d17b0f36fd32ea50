#include <fmt/format.h>

#include <algorithm>

#include "database/schema.hpp"
#include "host/loaded_pipeline.hpp"
#include "host/plugin_boundary.hpp"

namespace nas_sync {

namespace {

// The database must be a SQLite file that exists: a wrong path is the
// configuration's fault (exit 2 at the key), caught before any plugin runs.
void check_database_file(const PipelineConfig& config) {
    const auto problem = problem_with_database_file(config.database);
    if (!problem) return;
    const auto at = config.locations.find("database");
    throw ConfigError(at != config.locations.end() ? at->second : SourceLocation{config.file.string()}, "database",
                      fmt::format("key 'database': '{}' {}", config.database.string(), *problem));
}

}  // namespace

LoadedPipeline::LoadedPipeline(PipelineConfig config, const TransportWrapper& wrap_transport)
    : config_(std::move(config)) {
    validate_pipeline(config_);
    registry_ = std::make_shared<PluginRegistry>(PluginRegistry::search_path(config_.plugin_paths));
    registry_->require_no_problems();
    transport_ = host_side(registry_->make_transport(config_.transport, config_.base_dir));
    if (wrap_transport) transport_ = wrap_transport(transport_);
    discovery_ = registry_->make_discovery(config_.discovery, config_.base_dir);
    std::vector<ResolverEntry> entries;
    for (const auto& section : config_.resolvers)
        entries.push_back({section.plugin, section.tables, host_side(registry_->make_resolver(section, config_.base_dir))});
    resolvers_ = ResolverChain(std::move(entries));
    std::vector<HookEntry> hooks;
    for (const auto& section : config_.hooks)
        hooks.push_back({section.plugin, section.key, hook_events(section),
                         host_side(registry_->make_hook(section, config_.base_dir))});
    hooks_ = HookRunner(std::move(hooks));
}

std::vector<TableInfo> LoadedPipeline::discover_tables(std::vector<std::string>& warnings) const {
    check_database_file(config_);
    DatabaseSchema schema;
    try {
        auto db = open_database_read_only(config_.database);
        schema = read_schema(db);
    } catch (const SQLite::Exception& e) {
        throw Error(ErrorCode::io, fmt::format("cannot read the schema of database '{}': {}", config_.database.string(),
                                               e.what()));
    }
    DiscoveryResult result;
    try {
        try {
            result = discovery_->discover(schema);
        } catch (...) {
            rethrow_from_plugin();
        }
    } catch (const Error& e) {
        const std::string message = fmt::format("discovery '{}' on database '{}': {}", config_.discovery.plugin,
                                                config_.database.string(), e.what());
        if (e.code() == ErrorCode::config) throw ConfigError(config_.discovery.location, "discovery", message);
        throw Error(e.code(), message);
    }
    warnings.insert(warnings.end(), result.warnings.begin(), result.warnings.end());
    std::vector<TableInfo> tables;
    for (const auto& chosen : result.tables) {
        const auto* table = schema.find(chosen.name);
        const std::string problem = table ? table->key_problem(chosen.key_columns) : "does not exist";
        const auto* timestamp = table && !chosen.timestamp_column.empty() ? table->find(chosen.timestamp_column) : nullptr;
        if (!problem.empty() || (table && !chosen.timestamp_column.empty() && !timestamp))
            throw Error(ErrorCode::internal,
                        fmt::format("discovery '{}' chose table '{}' keyed by ({}) with timestamp column '{}', "
                                    "which the database cannot sync: {}",
                                    config_.discovery.plugin, chosen.name, TableSchema::joined(chosen.key_columns),
                                    chosen.timestamp_column, problem.empty() ? "no such timestamp column" : problem));
        // The schema's spelling: SQL matches names case aside, row images do not.
        TableInfo info{table->name, {}, timestamp ? timestamp->name : "", table->columns};
        info.key_columns = table->declared_order(chosen.key_columns);
        tables.push_back(std::move(info));
    }
    std::sort(tables.begin(), tables.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    for (const auto& section : config_.resolvers)
        for (const auto& t : section.tables)
            if (std::none_of(tables.begin(), tables.end(),
                             [&](const TableInfo& info) { return same_sql_name(info.name, t); }))
                warnings.push_back(fmt::format("{}: resolver '{}' is limited to table '{}', which is not synced",
                                               section.location.str(), section.plugin, t));
    return tables;
}

}  // namespace nas_sync
