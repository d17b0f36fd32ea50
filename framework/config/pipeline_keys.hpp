// The host's own keys of a pipeline file, declared as a table like a
// plugin's options: the pipeline reader checks every key against it (unknown
// keys, required keys, each value's type through convert_option, the same
// code as plugin options), and the tests hold docs/configuration.md to it.
#pragma once

#include <span>
#include <string>

#include "nas_sync/plugin.hpp"

namespace nas_sync {

enum class KeyKind {
    value,            // a scalar, list or map of spec.type
    plugin_section,   // {plugin: NAME, ...options}
    plugin_sections,  // a list of plugin sections
    keys,             // a map of keys with a table of their own (journal:)
};

struct PipelineKeySpec {
    KeyKind kind = KeyKind::value;
    OptionSpec spec;  // name, type (for values), required, default as written, description
};

// The top-level keys, in the order the docs list them.
std::span<const PipelineKeySpec> pipeline_keys();
// The keys of `journal:`.
std::span<const OptionSpec> journal_keys();

const PipelineKeySpec* find_pipeline_key(std::string_view name);

// The type as the docs and `nas-sync plugins` show it: an OptionType's name,
// or "plugin section", "list of plugin sections", "map".
std::string key_type_name(const PipelineKeySpec& key);

}  // namespace nas_sync
