// Finding and loading plugin libraries.
#include <boost/dll/runtime_symbol_info.hpp>
#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <set>

#include "plugins/plugin_registry.hpp"

#ifndef NAS_SYNC_BUILD_PLUGIN_DIR
#error "NAS_SYNC_BUILD_PLUGIN_DIR must be defined by the build"
#endif
#ifndef NAS_SYNC_PLUGIN_DIR_FROM_LIBRARY
#error "NAS_SYNC_PLUGIN_DIR_FROM_LIBRARY must be defined by the build"
#endif

namespace nas_sync {
namespace fs = std::filesystem;

std::vector<fs::path> PluginRegistry::search_path(const std::vector<fs::path>& pipeline_paths) {
    std::vector<fs::path> folders;
    std::set<fs::path> seen;
    auto add = [&](const fs::path& folder, const std::string& origin) {
        std::error_code ec;
        if (!fs::is_directory(folder, ec))
            throw Error(ErrorCode::config,
                        fmt::format("{}: plugin folder '{}' does not exist", origin, folder.string()));
        const auto canonical = fs::canonical(folder, ec);
        if (seen.insert(ec ? folder : canonical).second) folders.push_back(ec ? folder : canonical);
    };
    for (const auto& p : pipeline_paths) add(p, "key 'plugin_paths'");
    if (const char* env = std::getenv("NAS_SYNC_PLUGIN_PATH")) {
        std::string list(env);
        std::size_t start = 0;
        while (start <= list.size()) {
            const auto end = std::min(list.find(':', start), list.size());
            if (end > start) add(list.substr(start, end - start), "NAS_SYNC_PLUGIN_PATH");
            start = end + 1;
        }
    }
    // The install location, found from where this library itself was loaded.
    std::error_code ec;
    const fs::path installed =
        fs::path(boost::dll::this_line_location().parent_path().string()) / NAS_SYNC_PLUGIN_DIR_FROM_LIBRARY;
    if (fs::is_directory(installed, ec))
        add(installed, "install location");
    else if (fs::is_directory(NAS_SYNC_BUILD_PLUGIN_DIR, ec))
        add(NAS_SYNC_BUILD_PLUGIN_DIR, "build tree");
    return folders;
}

PluginRegistry::PluginRegistry(const std::vector<fs::path>& folders) {
    for (const auto& folder : folders) {
        std::vector<fs::path> files;
        std::error_code ec;
        for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
            if (it->path().extension() == boost::dll::shared_library::suffix().string() &&
                it->is_regular_file())
                files.push_back(it->path());
        if (ec) problems_.push_back(fmt::format("{}: cannot list plugin folder: {}", folder.string(), ec.message()));
        std::sort(files.begin(), files.end());
        for (const auto& file : files) load(file);
    }
}

void PluginRegistry::load(const fs::path& file) {
    auto library = std::make_shared<boost::dll::shared_library>();
    try {
        // RTLD_NODELETE: a library is never unmapped, even once nothing it made
        // lives: code of its own may still run (libnats, which the nats
        // transport links, keeps threads of its own until the process ends).
        const auto mode = boost::dll::load_mode::rtld_lazy | boost::dll::load_mode::rtld_local |
                          static_cast<boost::dll::load_mode::type>(RTLD_NODELETE);
        library->load(boost::dll::fs::path(file.string()), mode);
    } catch (const std::exception& e) {
        problems_.push_back(fmt::format("{}: cannot load plugin library: {}", file.string(), e.what()));
        return;
    }
    if (!library->has(api_version_symbol) || !library->has(descriptor_symbol)) {
        problems_.push_back(fmt::format("{}: not a nas-sync plugin (it exports no '{}' entry point)",
                                        file.string(), descriptor_symbol));
        return;
    }
    const auto version = library->get_alias<ApiVersionFunction>(api_version_symbol)();
    if (version != plugin_api_version) {
        problems_.push_back(fmt::format("{}: built for plugin API version {}, but this nas-sync uses version {}; "
                                        "rebuild the plugin against this nas-sync's headers",
                                        file.string(), version, plugin_api_version));
        return;
    }
    const PluginDescriptor* descriptor = library->get_alias<DescriptorFunction>(descriptor_symbol)();
    static const std::regex valid_name("[A-Za-z0-9_-]{1,64}");
    const std::string name(descriptor ? descriptor->name : "");
    if (descriptor == nullptr || !std::regex_match(name, valid_name)) {
        problems_.push_back(fmt::format("{}: plugin descriptor has no valid name (letters, digits, '-', '_')",
                                        file.string()));
        return;
    }
    const bool has_factory =
        (descriptor->kind == PluginKind::transport && descriptor->make_transport) ||
        (descriptor->kind == PluginKind::resolver && descriptor->make_resolver) ||
        (descriptor->kind == PluginKind::discovery && descriptor->make_discovery) ||
        (descriptor->kind == PluginKind::hook && descriptor->make_hook);
    if (!has_factory) {
        problems_.push_back(fmt::format("{}: {} plugin '{}' has no {} factory", file.string(),
                                        to_string(descriptor->kind), name, to_string(descriptor->kind)));
        return;
    }
    for (const auto& other : plugins_)
        if (other.descriptor->name == descriptor->name) {
            problems_.push_back(fmt::format("{}: plugin name '{}' is already taken by {}; remove one of the two",
                                            file.string(), name, other.file.string()));
            return;
        }
    plugins_.push_back({file, descriptor, std::move(library)});
}

void PluginRegistry::require_no_problems() const {
    if (problems_.empty()) return;
    throw Error(ErrorCode::config, fmt::format("plugin problems:\n  {}", fmt::join(problems_, "\n  ")));
}

const LoadedPlugin& PluginRegistry::find(PluginKind kind, const PluginSection& section) const {
    std::vector<std::string> names;
    for (const auto& p : plugins_) {
        if (p.descriptor->kind != kind) continue;
        if (p.descriptor->name == section.plugin) return p;
        names.emplace_back(p.descriptor->name);
    }
    throw ConfigError(section.location, section.key + ".plugin",
                      fmt::format("'{}' names no {} plugin; {} plugins found: {}", section.key, to_string(kind),
                                  to_string(kind),
                                  names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "))) +
                          (section.plugin.empty() ? "" : fmt::format(" (asked for '{}')", section.plugin)));
}

namespace {

// Runs a factory, turning an OptionError into a message with the option's place.
template <typename Object, typename Factory>
std::shared_ptr<Object> create(const LoadedPlugin& plugin, Factory factory, const PluginSection& section,
                               const std::filesystem::path& base_dir) {
    const auto options = validate_options(*plugin.descriptor, section, base_dir);
    std::unique_ptr<Object> object;
    try {
        object = factory(options);
    } catch (const OptionError& e) {
        auto it = section.options.find(e.option());
        const auto where = it != section.options.end() ? it->second.location : section.location;
        throw ConfigError(where, section.key + "." + e.option(),
                          fmt::format("{} plugin '{}' (in '{}'), option '{}': {}", to_string(plugin.descriptor->kind),
                                      plugin.descriptor->name, section.key, e.option(), e.what()));
    } catch (const ConfigError&) {
        throw;
    } catch (const Error& e) {
        const std::string message = fmt::format("{} plugin '{}' (in '{}'): {}", to_string(plugin.descriptor->kind),
                                                plugin.descriptor->name, section.key, e.what());
        if (e.code() == ErrorCode::config) throw ConfigError(section.location, section.key, message);
        throw Error(e.code(), message);  // a run-time failure: the file is not at fault
    } catch (const std::exception& e) {
        throw Error(ErrorCode::internal, fmt::format("{} plugin '{}' (in '{}') failed: {}",
                                                     to_string(plugin.descriptor->kind), plugin.descriptor->name,
                                                     section.key, e.what()));
    }
    if (!object)
        throw Error(ErrorCode::internal, fmt::format("{}: plugin factory returned nothing", plugin.file.string()));
    // The deleter keeps the library loaded until the object is gone.
    auto library = plugin.library;
    return std::shared_ptr<Object>(object.release(), [library](Object* o) { delete o; });
}

}  // namespace

std::shared_ptr<Transport> PluginRegistry::make_transport(const PluginSection& section,
                                                          const std::filesystem::path& base_dir) const {
    const auto& plugin = find(PluginKind::transport, section);
    return create<Transport>(plugin, plugin.descriptor->make_transport, section, base_dir);
}

std::shared_ptr<ConflictResolver> PluginRegistry::make_resolver(const PluginSection& section,
                                                                const std::filesystem::path& base_dir) const {
    const auto& plugin = find(PluginKind::resolver, section);
    return create<ConflictResolver>(plugin, plugin.descriptor->make_resolver, section, base_dir);
}

std::shared_ptr<TableDiscovery> PluginRegistry::make_discovery(const PluginSection& section,
                                                              const std::filesystem::path& base_dir) const {
    const auto& plugin = find(PluginKind::discovery, section);
    return create<TableDiscovery>(plugin, plugin.descriptor->make_discovery, section, base_dir);
}

std::shared_ptr<SyncHook> PluginRegistry::make_hook(const PluginSection& section,
                                                    const std::filesystem::path& base_dir) const {
    const auto& plugin = find(PluginKind::hook, section);
    return create<SyncHook>(plugin, plugin.descriptor->make_hook, section, base_dir);
}

}  // namespace nas_sync
