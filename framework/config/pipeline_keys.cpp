#include "config/pipeline_keys.hpp"

namespace nas_sync {
namespace {

using T = OptionType;

const PipelineKeySpec top_level[] = {
    {KeyKind::value, {"version", T::integer, true, "", "Pipeline format version; only 1 exists."}},
    {KeyKind::value,
     {"client_id", T::string, true, "",
      "This client's name on the share: 1 to 64 letters, digits, '.', '_', '-'. Every client of a share needs its own."}},
    {KeyKind::value, {"database", T::path, true, "", "The application's SQLite file."}},
    {KeyKind::value,
     {"plugin_paths", T::string_list, false, "",
      "Folders searched for plugin libraries before NAS_SYNC_PLUGIN_PATH and the built-in location."}},
    {KeyKind::plugin_section, {"transport", T::string, true, "", "Where the share is: a transport plugin section."}},
    {KeyKind::value,
     {"exchange", T::string, false, "snapshot",
      "How clients exchange data: snapshot (the original's layout) or journal (only what changed)."}},
    {KeyKind::keys, {"journal", T::string, false, "{}", "Options of exchange: journal."}},
    {KeyKind::plugin_section,
     {"discovery", T::string, false, "{plugin: auto}", "Which tables are synced: a discovery plugin section."}},
    {KeyKind::plugin_sections,
     {"resolvers", T::string, false, "[{plugin: lww}]", "The conflict-resolver chain: a list of resolver sections."}},
    {KeyKind::plugin_sections,
     {"hooks", T::string, false, "[]",
      "Plugins run on sync events: a list of hook sections, each with an optional on: [start, complete, error, conflict]."}},
    {KeyKind::value, {"interval", T::duration, false, "30s", "Time between syncs for nas-sync run."}},
    {KeyKind::value,
     {"changelog_retention", T::duration, false, "7d", "Change-log rows older than this are removed after a sync."}},
    {KeyKind::value,
     {"conflict_log_retention", T::duration, false, "30d",
      "Decided conflicts are kept in the local conflict log (nas-sync conflicts) this long."}},
    {KeyKind::value,
     {"merged_publish_every", T::duration, false, "10m",
      "Publish our copy changed only by what we merged from peers at most this often; our own changes at once."}},
    {KeyKind::value,
     {"heartbeat", T::boolean, false, "true", "Write the daily heartbeat row, as the original does."}},
    {KeyKind::value,
     {"schema_version", T::string, false, "auto",
      "auto computes the original's value from the synced tables; any other string is used as is."}},
};

const OptionSpec journal[] = {
    {"base_every", T::integer, false, "100", "Write a new base (a full copy) after this many segments; 1 or more."},
    {"snapshot_every", T::duration, false, "0s",
     "Also publish client-<id>.sqlite for snapshot-only peers at most this often; 0s: never."},
    {"retire_after", T::duration, false, "30d", "A peer with no object newer than this is no longer waited for."},
};

}  // namespace

std::span<const PipelineKeySpec> pipeline_keys() { return top_level; }
std::span<const OptionSpec> journal_keys() { return journal; }

const PipelineKeySpec* find_pipeline_key(std::string_view name) {
    for (const auto& key : top_level)
        if (key.spec.name == name) return &key;
    return nullptr;
}

std::string key_type_name(const PipelineKeySpec& key) {
    switch (key.kind) {
        case KeyKind::value: return std::string(to_string(key.spec.type));
        case KeyKind::plugin_section: return "plugin section";
        case KeyKind::plugin_sections: return "list of plugin sections";
        case KeyKind::keys: return "map";
    }
    return "unknown";
}

}  // namespace nas_sync
