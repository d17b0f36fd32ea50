// How `sync` and `run` show a sync's result as text: the one-line summary
// and the lines `sync` prints (its JSON: host/result_json.hpp).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "nas_sync/sync_result.hpp"

namespace nas_sync::cli {

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
