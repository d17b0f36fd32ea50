#include "config/option_values.hpp"

#include <fmt/format.h>

#include <charconv>
#include <regex>

#include "nas_sync/error.hpp"

namespace nas_sync {
std::optional<std::chrono::milliseconds> read_duration(const std::string& text, std::string& problem) {
    static const std::regex pattern("([0-9]{1,12})(ms|s|m|h|d)");
    std::smatch m;
    if (!std::regex_match(text, m, pattern)) {
        problem = "is not a duration; write a whole number and a unit: 500ms, 30s, 5m, 1h, 7d";
        return std::nullopt;
    }
    const std::int64_t n = std::stoll(m[1].str());
    const std::string unit = m[2].str();
    const std::int64_t unit_ms = unit == "ms" ? 1
                                 : unit == "s" ? 1000
                                 : unit == "m" ? 60'000
                                 : unit == "h" ? 3'600'000
                                               : 86'400'000;
    // Durations are added to clock readings held in int64 nanoseconds (about
    // 292 years from 1970): a hundred years fits every use and means "never".
    if (n > max_duration_ms / unit_ms) {
        problem = fmt::format("is too long a duration; at most {}d (100 years)", max_duration_ms / 86'400'000);
        return std::nullopt;
    }
    return std::chrono::milliseconds(n * unit_ms);
}

namespace {

OptionValue convert_scalar(const OptionSpec& spec, const std::string& text, const SourceLocation& where,
                           const std::string& key, const std::string& label, const std::filesystem::path& base_dir) {
    auto wrong = [&](std::string_view expected) {
        return ConfigError(where, key, fmt::format("{}: '{}' is not {}", label, text, expected));
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
        case OptionType::duration: {
            std::string problem;
            if (const auto duration = read_duration(text, problem)) return *duration;
            throw ConfigError(where, key, fmt::format("{}: '{}' {}", label, text, problem));
        }
        case OptionType::string_list:
        case OptionType::string_map: break;
    }
    throw wrong(fmt::format("a {}", to_string(spec.type)));
}

}  // namespace

OptionValue convert_option(const OptionSpec& spec, const RawOption::Value& raw, const SourceLocation& where,
                           const std::string& key, const std::string& label, const std::filesystem::path& base_dir) {
    if (const auto* text = std::get_if<std::string>(&raw)) {
        if (spec.type == OptionType::string_list && text->empty()) return std::vector<std::string>{};
        return convert_scalar(spec, *text, where, key, label, base_dir);
    }
    if (const auto* items = std::get_if<std::vector<std::string>>(&raw)) {
        if (spec.type == OptionType::string_list) return *items;
    } else if (const auto* entries = std::get_if<std::map<std::string, std::string>>(&raw)) {
        if (spec.type == OptionType::string_map) return *entries;
    }
    throw ConfigError(where, key, fmt::format("{} must be a {}", label, to_string(spec.type)));
}

OptionValue default_option_value(const OptionSpec& spec, const SourceLocation& where,
                                 const std::filesystem::path& base_dir) {
    if (spec.type == OptionType::string_list && spec.default_value.empty()) return std::vector<std::string>{};
    if (spec.type == OptionType::string_map && spec.default_value.empty()) return std::map<std::string, std::string>{};
    const std::string name(spec.name);
    return convert_scalar(spec, std::string(spec.default_value), where, name, fmt::format("option '{}'", name), base_dir);
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
