#include "config/option_values.hpp"

#include <fmt/format.h>

#include <charconv>

#include "nas_sync/error.hpp"

namespace nas_sync {
namespace {

OptionValue convert_scalar(const OptionSpec& spec, const std::string& text, const std::string& where,
                           const std::string& label, const std::filesystem::path& base_dir) {
    auto wrong = [&](std::string_view expected) {
        return Error(ErrorCode::config, fmt::format("{}: {}: '{}' is not {}", where, label, text, expected));
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
            std::int64_t v = 0;
            const char* end = text.data() + text.size();
            const auto [ptr, ec] = std::from_chars(text.data(), end, v);
            if (ec == std::errc::result_out_of_range)
                throw wrong(fmt::format("a whole number this nas-sync can hold (at most {})", INT64_MAX));
            if (ec != std::errc() || ptr != end || text.empty()) throw wrong("a whole number");
            return v;
        }
        case OptionType::boolean:
            if (text == "true") return true;
            if (text == "false") return false;
            throw wrong("a boolean (true or false)");
        case OptionType::duration: return parse_duration(text, fmt::format("{}: {}", where, label));
        case OptionType::string_list:
        case OptionType::string_map: break;
    }
    throw wrong(fmt::format("a {}", to_string(spec.type)));
}

}  // namespace

OptionValue convert_option(const OptionSpec& spec, const RawOption::Value& raw, const std::string& where,
                           const std::string& label, const std::filesystem::path& base_dir) {
    if (const auto* text = std::get_if<std::string>(&raw)) {
        if (spec.type == OptionType::string_list && text->empty()) return std::vector<std::string>{};
        return convert_scalar(spec, *text, where, label, base_dir);
    }
    if (const auto* items = std::get_if<std::vector<std::string>>(&raw)) {
        if (spec.type == OptionType::string_list) return *items;
    } else if (const auto* entries = std::get_if<std::map<std::string, std::string>>(&raw)) {
        if (spec.type == OptionType::string_map) return *entries;
    }
    throw Error(ErrorCode::config, fmt::format("{}: {} must be a {}", where, label, to_string(spec.type)));
}

OptionValue default_option_value(const OptionSpec& spec, const std::string& where, const std::filesystem::path& base_dir) {
    if (spec.type == OptionType::string_list && spec.default_value.empty()) return std::vector<std::string>{};
    if (spec.type == OptionType::string_map && spec.default_value.empty()) return std::map<std::string, std::string>{};
    return convert_scalar(spec, std::string(spec.default_value), where, fmt::format("option '{}'", spec.name), base_dir);
}

std::string shown_default(const OptionSpec& spec) {
    if (spec.required) return "required";
    if (!spec.default_value.empty()) return std::string(spec.default_value);
    switch (spec.type) {
        case OptionType::string_list: return "[]";
        case OptionType::string_map: return "{}";
        case OptionType::string: return "\"\"";
        default: return "none";
    }
}

}  // namespace nas_sync
