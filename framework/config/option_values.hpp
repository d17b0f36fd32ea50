// Turning a value as written in a pipeline file into the typed value its
// option table row declares (OptionSpec): the one check for plugin options
// and the host's own keys alike (config/pipeline_keys.hpp). Every refusal is
// Error(config) naming where the value is and what was expected.
#pragma once

#include <filesystem>
#include <string>

#include "nas_sync/pipeline.hpp"
#include "nas_sync/plugin.hpp"

namespace nas_sync {

// `where` is the value's place ("FILE:LINE:COL"), `label` names it in the
// message ("option 'path'", "key 'interval'"). Paths are resolved against
// base_dir; integers are whole numbers of int64 (no sign but '-', no spaces);
// durations must fit in milliseconds of int64.
OptionValue convert_option(const OptionSpec& spec, const RawOption::Value& raw, const std::string& where,
                           const std::string& label, const std::filesystem::path& base_dir);

// A default from an option table, converted the same way.
OptionValue default_option_value(const OptionSpec& spec, const std::string& where, const std::filesystem::path& base_dir);

// The value as the option table row's default is written: what `nas-sync
// plugins` and the docs show ("required" for a required option, "none" when
// there is no default).
std::string shown_default(const OptionSpec& spec);

}  // namespace nas_sync
