// Turning a value as written in a pipeline file into the typed value its
// option table row declares (OptionSpec): the one check for plugin options
// and the host's own keys alike (config/pipeline_keys.hpp). Every refusal is
// Error(config) naming where the value is and what was expected.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "nas_sync/pipeline.hpp"
#include "nas_sync/plugin.hpp"

namespace nas_sync {

// `where` is the value's place, `key` its key ("interval",
// "transport.path"), `label` names it in the message ("option 'path'",
// "key 'interval'"). Paths are resolved against
// base_dir; integers are whole numbers of int64 (no sign but '-', no spaces);
// durations are at most max_duration_ms.
// Refusals are ConfigError at `where`, for `key`.
OptionValue convert_option(const OptionSpec& spec, const RawOption::Value& raw, const SourceLocation& where,
                           const std::string& key, const std::string& label, const std::filesystem::path& base_dir);

// The longest duration any key or option takes: 100 years.
inline constexpr std::int64_t max_duration_ms = 36'500LL * 86'400'000;

// "30s", "5m", "1h", "7d", "500ms" -> milliseconds; nothing (and what is
// wrong in `problem`) when the text is not a duration or too long for one.
std::optional<std::chrono::milliseconds> read_duration(const std::string& text, std::string& problem);

// A default from an option table, converted the same way.
OptionValue default_option_value(const OptionSpec& spec, const SourceLocation& where, const std::filesystem::path& base_dir);

// The value as the option table row's default is written: what `nas-sync
// plugins` and the docs show ("required" for a required option, "none" when
// there is no default).
std::string shown_default(const OptionSpec& spec);

}  // namespace nas_sync
