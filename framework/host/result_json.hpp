// A sync's result and a decided conflict as JSON: one function for what
// `nas-sync sync --json` prints, `conflicts --json` lists and hooks receive
// (nas_sync/hook.hpp), so the three never differ.
#pragma once

#include <nlohmann/json.hpp>

#include "nas_sync/sync_result.hpp"

namespace nas_sync {

// The object `sync --json` prints: the counters, warnings, skipped peers and "conflicts".
nlohmann::json result_json(const SyncResult& result);
// Its counters only (run's log line of a sync).
nlohmann::json result_counters(const SyncResult& result);
// One entry of that object's "conflicts" (and of `conflicts --json`, without its "decided").
nlohmann::json conflict_json(const ConflictEvent& event);

}  // namespace nas_sync
