// The plugin registry: finds plugin libraries, loads them with Boost.DLL,
// checks them, and creates plugin objects from pipeline sections.
//
// Every object created through it holds a reference to its library, and
// libraries are never unmapped once loaded (RTLD_NODELETE): a plugin's code,
// or a thread of a library it links, may run until the process ends.
#pragma once

#include <boost/dll/shared_library.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "nas_sync/pipeline.hpp"
#include "nas_sync/plugin.hpp"

namespace nas_sync {

struct LoadedPlugin {
    std::filesystem::path file;
    const PluginDescriptor* descriptor = nullptr;
    std::shared_ptr<boost::dll::shared_library> library;
};

class PluginRegistry {
public:
    // Folders searched, in order: the pipeline's plugin_paths, then
    // NAS_SYNC_PLUGIN_PATH (':'-separated), then the install location next to
    // the nas-sync library, or the build tree's plugin folder when nas-sync is
    // not installed. Folders are listed once each.
    static std::vector<std::filesystem::path> search_path(const std::vector<std::filesystem::path>& pipeline_paths);

    // Loads every shared library in the folders. Problems (not a plugin,
    // another API version, a name taken twice, a library that fails to load)
    // are collected, each naming the file; see problems().
    explicit PluginRegistry(const std::vector<std::filesystem::path>& folders);

    const std::vector<LoadedPlugin>& plugins() const { return plugins_; }
    const std::vector<std::string>& problems() const { return problems_; }
    // Throws Error(config) listing every problem, if there is any.
    void require_no_problems() const;

    // The plugin of that kind and name; Error(config) naming the section's
    // location and the plugins of that kind that exist otherwise.
    const LoadedPlugin& find(PluginKind kind, const PluginSection& section) const;

    std::shared_ptr<Transport> make_transport(const PluginSection& section, const std::filesystem::path& base_dir) const;
    std::shared_ptr<ConflictResolver> make_resolver(const PluginSection& section, const std::filesystem::path& base_dir) const;
    std::shared_ptr<TableDiscovery> make_discovery(const PluginSection& section, const std::filesystem::path& base_dir) const;
    std::shared_ptr<SyncHook> make_hook(const PluginSection& section, const std::filesystem::path& base_dir) const;

private:
    void load(const std::filesystem::path& file);
    std::vector<LoadedPlugin> plugins_;
    std::vector<std::string> problems_;
};

// Checks a section's options against the plugin's option table and converts
// them to typed values (defaults filled in, paths resolved against base_dir).
PluginOptions validate_options(const PluginDescriptor& plugin, const PluginSection& section,
                               const std::filesystem::path& base_dir);

}  // namespace nas_sync
