#include "cli/sync_output.hpp"

#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"

namespace nas_sync::cli {
using nlohmann::json;

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

json result_counters(const SyncResult& r) {
    return {{"clients_synced", r.clients_synced},   {"inserted", r.inserted},
            {"updated", r.updated},                 {"deleted", r.deleted},
            {"skipped", r.skipped},                 {"conflicts_resolved", r.conflicts_resolved},
            {"had_changelog_gap", r.had_changelog_gap}, {"bytes_published", r.bytes_published},
            {"bytes_fetched", r.bytes_fetched},     {"duration_ms", r.duration_ms}};
}

std::string result_summary(const SyncResult& r) {
    return fmt::format(
        "synced with {} peer(s): {} inserted, {} updated, {} deleted, {} skipped, {} conflict(s) resolved; "
        "{} bytes published, {} fetched, {} ms{}",
        r.clients_synced, r.inserted, r.updated, r.deleted, r.skipped, r.conflicts_resolved, r.bytes_published,
        r.bytes_fetched, r.duration_ms, r.had_changelog_gap ? " (change-log gap: full merge)" : "");
}

std::vector<std::string> skipped_peer_lines(const SyncResult& r) {
    std::vector<std::string> lines;
    for (const auto& s : r.skipped_remotes)
        lines.push_back(fmt::format("skipped peer '{}': schema version {} differs from ours ({})", s.client,
                                    s.remote_schema_version.empty() ? "(none)" : s.remote_schema_version,
                                    s.local_schema_version));
    return lines;
}

void print_result(const SyncResult& r) {
    std::cout << result_summary(r) << "\n";
    for (const auto& line : skipped_peer_lines(r)) std::cout << line << "\n";
    for (const auto& w : r.warnings) std::cout << "warning: " << w << "\n";
}

std::vector<std::string> RepeatFilter::new_ones(const std::vector<std::string>& warnings) {
    std::vector<std::string> fresh;
    for (const auto& w : warnings)
        if (!said_.count(w)) fresh.push_back(w);
    said_ = std::set<std::string>(warnings.begin(), warnings.end());
    return fresh;
}

}  // namespace nas_sync::cli
