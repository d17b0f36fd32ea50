// Checking a plugin section against the plugin's option table.
#include <fmt/format.h>

#include "plugins/plugin_registry.hpp"

namespace nas_sync {
namespace {

std::string valid_names(const PluginDescriptor& plugin) {
    std::vector<std::string> names;
    for (const auto& o : plugin.options) names.emplace_back(o.name);
    if (names.empty()) return "this plugin takes no options";
    return "valid options: " + fmt::format("{}", fmt::join(names, ", "));
}

OptionValue convert_scalar(const OptionSpec& spec, const std::string& text, const std::string& where,
                           const std::filesystem::path& base_dir) {
    auto wrong = [&](std::string_view expected) {
        return Error(ErrorCode::config, fmt::format("{}: option '{}': '{}' is not {}", where, spec.name,
                                                    text, expected));
    };
    switch (spec.type) {
        case OptionType::string: return text;
        case OptionType::path: {
            if (text.empty()) throw wrong("a path");
            std::filesystem::path p(text);
            if (p.is_relative()) p = base_dir / p;
            return p.lexically_normal().string();
        }
        case OptionType::integer: {
            std::size_t used = 0;
            try {
                const long long v = std::stoll(text, &used);
                if (used == text.size()) return static_cast<std::int64_t>(v);
            } catch (const std::exception&) {
            }
            throw wrong("a whole number");
        }
        case OptionType::boolean:
            if (text == "true") return true;
            if (text == "false") return false;
            throw wrong("a boolean (true or false)");
        case OptionType::duration:
            return parse_duration(text, fmt::format("{}: option '{}'", where, spec.name));
        case OptionType::string_list:
        case OptionType::string_map: break;
    }
    throw wrong(fmt::format("a {}", to_string(spec.type)));
}

OptionValue convert(const OptionSpec& spec, const RawOption::Value& raw, const std::string& where,
                    const std::filesystem::path& base_dir) {
    if (const auto* text = std::get_if<std::string>(&raw)) {
        if (spec.type == OptionType::string_list && text->empty()) return std::vector<std::string>{};
        return convert_scalar(spec, *text, where, base_dir);
    }
    if (const auto* items = std::get_if<std::vector<std::string>>(&raw)) {
        if (spec.type == OptionType::string_list) return *items;
    } else if (const auto* entries = std::get_if<std::map<std::string, std::string>>(&raw)) {
        if (spec.type == OptionType::string_map) return *entries;
    }
    throw Error(ErrorCode::config,
                fmt::format("{}: option '{}' must be a {}", where, spec.name, to_string(spec.type)));
}

}  // namespace

PluginOptions validate_options(const PluginDescriptor& plugin, const PluginSection& section,
                               const std::filesystem::path& base_dir) {
    std::map<std::string, OptionValue> values;
    for (const auto& [name, raw] : section.options) {
        const OptionSpec* spec = nullptr;
        for (const auto& o : plugin.options)
            if (o.name == name) spec = &o;
        const std::string where = raw.location.file.empty() ? section.key : raw.location.str();
        if (spec == nullptr)
            throw Error(ErrorCode::config,
                        fmt::format("{}: unknown option '{}' for {} plugin '{}' (in '{}'); {}", where, name,
                                    to_string(plugin.kind), plugin.name, section.key, valid_names(plugin)));
        values[name] = convert(*spec, raw.value, where, base_dir);
    }
    for (const auto& spec : plugin.options) {
        const std::string name(spec.name);
        if (values.count(name)) continue;
        if (spec.required)
            throw Error(ErrorCode::config,
                        fmt::format("{}: {} plugin '{}' (in '{}') needs option '{}': {}", section.location.str(),
                                    to_string(plugin.kind), plugin.name, section.key, name, spec.description));
        if (!spec.default_value.empty() || spec.type == OptionType::string)
            values[name] = convert_scalar(spec, std::string(spec.default_value),
                                          fmt::format("{} default", plugin.name), base_dir);
        else if (spec.type == OptionType::string_list)
            values[name] = std::vector<std::string>{};
        else if (spec.type == OptionType::string_map)
            values[name] = std::map<std::string, std::string>{};
    }
    return PluginOptions(std::move(values));
}

}  // namespace nas_sync
