// A pipeline with its plugins loaded and created: the transport, the table
// discovery, the resolver chain and the hooks, ready for the engine (which gets the
// transport, the resolver chain and the tables, nothing of the plugins) or
// for `check`.
#pragma once

#include <SQLiteCpp/Database.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/merge/resolver_chain.hpp"
#include "engine/tables/synced_table.hpp"
#include "host/hook_runner.hpp"
#include "nas_sync/client.hpp"
#include "nas_sync/pipeline.hpp"
#include "nas_sync/plugin.hpp"
#include "plugins/plugin_registry.hpp"

namespace nas_sync {

class LoadedPipeline {
public:
    // Loads the plugins the pipeline names and creates them from their
    // sections. Throws Error(config) naming file, line and key on any problem.
    // `wrap_transport`, when set, receives the transport the pipeline names
    // and returns the one to use (a decorator: metrics, fault injection).
    explicit LoadedPipeline(PipelineConfig config, const TransportWrapper& wrap_transport = {});

    const PipelineConfig& config() const { return config_; }
    Transport& transport() const { return *transport_; }
    const ResolverChain& resolvers() const { return resolvers_; }
    const HookRunner& hooks() const { return hooks_; }

    // Opens the pipeline's database read-only (ConfigError at the `database`
    // key when it is missing or not SQLite), runs discovery on it and checks
    // each table it chose has its key and timestamp columns. Warnings go to
    // `warnings`.
    std::vector<TableInfo> discover_tables(std::vector<std::string>& warnings) const;

private:
    PipelineConfig config_;
    std::shared_ptr<PluginRegistry> registry_;
    std::shared_ptr<Transport> transport_;
    std::shared_ptr<TableDiscovery> discovery_;
    ResolverChain resolvers_;
    HookRunner hooks_;
};

}  // namespace nas_sync
