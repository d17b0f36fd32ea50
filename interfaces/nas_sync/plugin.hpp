// nas_sync/plugin.hpp: what a plugin library exports.
//
// A plugin is one shared library that exports, through Boost.DLL aliases, the
// plugin API version it was built for and a descriptor. The host reads the
// version first and refuses a library built for another one, so the
// descriptor's layout may change between API versions.
//
// The descriptor declares the plugin's options as a table. The host validates
// the pipeline's section against that table (unknown keys, wrong types,
// missing required options are errors naming the file, line and key) before
// the factory runs, and uses the same table for `nas-sync plugins` and docs.
//
// Lifetime: the host keeps the library loaded for as long as any object its
// factory created is alive.
//
// Writing a plugin:
//
//     #include <nas_sync/plugin.hpp>
//     static const nas_sync::OptionSpec options[] = {
//         {"path", nas_sync::OptionType::path, true, "", "Folder of the share"},
//     };
//     static std::unique_ptr<nas_sync::Transport> make(const nas_sync::PluginOptions& o) { ... }
//     NAS_SYNC_PLUGIN((nas_sync::PluginDescriptor{
//         .kind = nas_sync::PluginKind::transport, .name = "mine", .version = "1.0.0",
//         .description = "...", .options = options, .make_transport = make}))
#pragma once

#include <boost/dll/alias.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "nas_sync/discovery.hpp"
#include "nas_sync/error.hpp"
#include "nas_sync/hook.hpp"
#include "nas_sync/resolver.hpp"
#include "nas_sync/transport.hpp"

namespace nas_sync {

// Bumped whenever anything in interfaces/ changes in a way that breaks plugins
// (4: hooks, a fourth kind, and the descriptor's make_hook).
inline constexpr std::uint32_t plugin_api_version = 4;

enum class PluginKind { transport, resolver, discovery, hook };

inline std::string_view to_string(PluginKind kind) {
    switch (kind) {
        case PluginKind::transport: return "transport";
        case PluginKind::resolver: return "resolver";
        case PluginKind::discovery: return "discovery";
        case PluginKind::hook: return "hook";
    }
    return "unknown";
}

enum class OptionType {
    string,       // any scalar, as text
    path,         // text; a relative path is resolved against the pipeline file's folder
    integer,      // a whole number
    boolean,      // true or false
    duration,     // 500ms, 30s, 5m, 1h, 7d
    string_list,  // [a, b, c]
    string_map,   // {key: value, ...}
};

inline std::string_view to_string(OptionType type) {
    switch (type) {
        case OptionType::string: return "string";
        case OptionType::path: return "path";
        case OptionType::integer: return "integer";
        case OptionType::boolean: return "boolean";
        case OptionType::duration: return "duration";
        case OptionType::string_list: return "list of strings";
        case OptionType::string_map: return "map of strings";
    }
    return "unknown";
}

// One row of a plugin's option table.
struct OptionSpec {
    std::string_view name;
    OptionType type = OptionType::string;
    bool required = false;
    std::string_view default_value;  // written as in the pipeline file; "" for none
    std::string_view description;
};

using OptionValue = std::variant<std::string, std::int64_t, bool, std::chrono::milliseconds,
                                 std::vector<std::string>, std::map<std::string, std::string>>;

// A plugin's options, already validated against its table: every option the
// table declares with a default or given in the file is present, with the
// C++ type of its OptionType (string and path: std::string).
class PluginOptions {
public:
    PluginOptions() = default;
    explicit PluginOptions(std::map<std::string, OptionValue> values) : values_(std::move(values)) {}

    bool has(const std::string& name) const { return values_.count(name) != 0; }

    const std::string& string(const std::string& name) const { return get<std::string>(name); }
    std::int64_t integer(const std::string& name) const { return get<std::int64_t>(name); }
    bool boolean(const std::string& name) const { return get<bool>(name); }
    std::chrono::milliseconds duration(const std::string& name) const {
        return get<std::chrono::milliseconds>(name);
    }
    const std::vector<std::string>& list(const std::string& name) const {
        return get<std::vector<std::string>>(name);
    }
    const std::map<std::string, std::string>& map(const std::string& name) const {
        return get<std::map<std::string, std::string>>(name);
    }

private:
    template <typename T>
    const T& get(const std::string& name) const {
        auto it = values_.find(name);
        if (it == values_.end()) throw OptionError(name, "option '" + name + "' is not set");
        if (const T* v = std::get_if<T>(&it->second)) return *v;
        throw OptionError(name, "option '" + name + "' was read with the wrong type");
    }
    std::map<std::string, OptionValue> values_;
};

using TransportFactory = std::unique_ptr<Transport> (*)(const PluginOptions&);
using ResolverFactory = std::unique_ptr<ConflictResolver> (*)(const PluginOptions&);
using DiscoveryFactory = std::unique_ptr<TableDiscovery> (*)(const PluginOptions&);
using HookFactory = std::unique_ptr<SyncHook> (*)(const PluginOptions&);

// What a plugin library describes itself as. Exactly the factory of its kind
// is set.
struct PluginDescriptor {
    PluginKind kind = PluginKind::transport;
    std::string_view name;         // unique among plugins of all kinds: letters, digits, '-', '_'
    std::string_view version;      // the plugin's own version, e.g. "1.2.0"
    std::string_view description;  // one line
    std::span<const OptionSpec> options;
    TransportFactory make_transport = nullptr;
    ResolverFactory make_resolver = nullptr;
    DiscoveryFactory make_discovery = nullptr;
    HookFactory make_hook = nullptr;
};

// The names under which a plugin library exports its entry points.
inline constexpr const char* api_version_symbol = "nas_sync_plugin_api_version";
inline constexpr const char* descriptor_symbol = "nas_sync_plugin_descriptor";

using ApiVersionFunction = std::uint32_t();
using DescriptorFunction = const PluginDescriptor*();

}  // namespace nas_sync

// Exports a plugin: the API version it was built for and its descriptor.
// Use once per library, at namespace scope, with a PluginDescriptor expression.
#define NAS_SYNC_PLUGIN(...)                                                                \
    namespace nas_sync_plugin_entry {                                                       \
    std::uint32_t api_version() { return ::nas_sync::plugin_api_version; }                 \
    const ::nas_sync::PluginDescriptor* descriptor() {                                     \
        static const ::nas_sync::PluginDescriptor d = __VA_ARGS__;                          \
        return &d;                                                                          \
    }                                                                                       \
    }                                                                                       \
    BOOST_DLL_ALIAS(nas_sync_plugin_entry::api_version, nas_sync_plugin_api_version)        \
    BOOST_DLL_ALIAS(nas_sync_plugin_entry::descriptor, nas_sync_plugin_descriptor)
