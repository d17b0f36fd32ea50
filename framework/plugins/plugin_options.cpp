// Checking a plugin section against the plugin's option table.
#include <fmt/format.h>

#include "config/option_values.hpp"
#include "plugins/plugin_registry.hpp"

namespace nas_sync {
namespace {

std::string valid_names(const PluginDescriptor& plugin) {
    std::vector<std::string> names;
    for (const auto& o : plugin.options) names.emplace_back(o.name);
    if (names.empty()) return "this plugin takes no options";
    return "valid options: " + fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

PluginOptions validate_options(const PluginDescriptor& plugin, const PluginSection& section,
                               const std::filesystem::path& base_dir) {
    std::map<std::string, OptionValue> values;
    for (const auto& [name, raw] : section.options) {
        const OptionSpec* spec = nullptr;
        for (const auto& o : plugin.options)
            if (o.name == name) spec = &o;
        // Built in code, an option has no place in a file: its section's key says where it is.
        const SourceLocation where = raw.location.file.empty() ? SourceLocation{section.key} : raw.location;
        const std::string key = section.key + "." + name;
        if (spec == nullptr)
            throw ConfigError(where, key,
                              fmt::format("unknown option '{}' for {} plugin '{}' (in '{}'); {}", name,
                                          to_string(plugin.kind), plugin.name, section.key, valid_names(plugin)));
        values[name] = convert_option(*spec, raw.value, where, key, fmt::format("option '{}'", name), base_dir);
    }
    for (const auto& spec : plugin.options) {
        const std::string name(spec.name);
        if (values.count(name)) continue;
        if (spec.required)
            throw ConfigError(section.location, section.key + "." + name,
                              fmt::format("{} plugin '{}' (in '{}') needs option '{}': {}", to_string(plugin.kind),
                                          plugin.name, section.key, name, spec.description));
        const bool has_default = !spec.default_value.empty() || spec.type == OptionType::string ||
                                 spec.type == OptionType::string_list || spec.type == OptionType::string_map;
        if (has_default)
            values[name] = default_option_value(spec, {std::string(plugin.name) + " default"}, base_dir);
    }
    return PluginOptions(std::move(values));
}

}  // namespace nas_sync
