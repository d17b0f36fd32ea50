#include "host/result_json.hpp"

#include "engine/versions/versions.hpp"

namespace nas_sync {
using nlohmann::json;

json conflict_json(const ConflictEvent& e) {
    return {{"table", e.table},
            {"key", e.key},
            {"peer", e.peer},
            {"resolution", e.resolution},
            {"resolver", e.resolver},
            {"local", {{"time", format_timestamp_ms(e.local_time_ms)}, {"deleted", e.local_deleted}}},
            {"remote", {{"time", format_timestamp_ms(e.remote_time_ms)}, {"deleted", e.remote_deleted}}}};
}

json result_counters(const SyncResult& r) {
    return {{"clients_synced", r.clients_synced},   {"inserted", r.inserted},
            {"updated", r.updated},                 {"deleted", r.deleted},
            {"skipped", r.skipped},                 {"conflicts_resolved", r.conflicts_resolved},
            {"had_changelog_gap", r.had_changelog_gap}, {"bytes_published", r.bytes_published},
            {"bytes_fetched", r.bytes_fetched},     {"duration_ms", r.duration_ms}};
}

json result_json(const SyncResult& r) {
    json skipped = json::array();
    for (const auto& s : r.skipped_remotes)
        skipped.push_back({{"client", s.client},
                           {"remote_schema_version", s.remote_schema_version},
                           {"local_schema_version", s.local_schema_version}});
    json conflicts = json::array();
    for (const auto& c : r.conflicts) conflicts.push_back(conflict_json(c));
    json out = result_counters(r);
    out["warnings"] = r.warnings;
    out["skipped_remotes"] = skipped;
    out["conflicts"] = conflicts;
    return out;
}

}  // namespace nas_sync
