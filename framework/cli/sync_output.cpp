#include "cli/sync_output.hpp"

#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"

namespace nas_sync::cli {

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
