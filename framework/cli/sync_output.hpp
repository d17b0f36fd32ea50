// How `sync` and `run` show a sync's result: the JSON object of `--json`,
// the one-line summary, and the lines `sync` prints.
#pragma once

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

#include "nas_sync/sync_result.hpp"

namespace nas_sync::cli {

// Every field of the result, conflicts included (`sync --json`, run's "complete" event).
nlohmann::json result_json(const SyncResult& r);
// The counters only, for a log line.
nlohmann::json result_counters(const SyncResult& r);
// "synced with 1 peer(s): 0 inserted, ..."
std::string result_summary(const SyncResult& r);
// "skipped peer 'X': schema version ... differs from ours (...)", one per skipped peer.
std::vector<std::string> skipped_peer_lines(const SyncResult& r);
// The summary, skipped peers and warnings on stdout (`sync`).
void print_result(const SyncResult& r);

// The warnings of a sync that the sync before did not have: `run` says a
// warning once, and again only after it went away.
class RepeatFilter {
public:
    std::vector<std::string> new_ones(const std::vector<std::string>& warnings);

private:
    std::set<std::string> said_;
};

}  // namespace nas_sync::cli
