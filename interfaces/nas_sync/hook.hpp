// nas_sync/hook.hpp: reacting to syncs (a command to run, SQL to refresh a cache).
//
// Hooks form a list in the pipeline (`hooks:`); each entry names the events
// it receives (`on:`, default [complete, error]). The host calls handle()
// once per event the entry takes, in the order of the list:
//   start     before the sync, once it holds the database's sync lock;
//   conflict  once per conflict the sync decided, after the merge is done
//             (never inside the transaction that applies a peer's changes,
//             so a hook may open the database and write to it);
//   complete  after the sync, with its result;
//   error     when the sync failed as a whole.
//
// Threads: handle() is called from the syncing thread only, one call at a
// time; the next sync waits for it, so a hook bounds its own work (a timeout).
// Failures: throwing nas_sync::Error is a warning in that sync's result (on
// error: in the message the sync fails with); it never fails a sync.
#pragma once

#include <cstdint>
#include <string_view>

namespace nas_sync {

enum class SyncEventKind { start, complete, error, conflict };

inline std::string_view to_string(SyncEventKind kind) {
    switch (kind) {
        case SyncEventKind::start: return "start";
        case SyncEventKind::complete: return "complete";
        case SyncEventKind::error: return "error";
        case SyncEventKind::conflict: return "conflict";
    }
    return "unknown";
}

struct SyncEvent {
    SyncEventKind kind = SyncEventKind::complete;
    std::string_view client_id;
    std::string_view database;  // the local database file's path
    // The event as a JSON object: complete, the object `nas-sync sync --json`
    // prints (less the warnings of complete hooks, which run after it is
    // made); error, {"error": message}; conflict, one entry of that object's
    // "conflicts"; start, {}.
    std::string_view json;
    std::int64_t rows_changed = 0;  // complete: inserted + updated + deleted; 0 otherwise
};

class SyncHook {
public:
    virtual ~SyncHook() = default;
    SyncHook() = default;
    SyncHook(const SyncHook&) = delete;
    SyncHook& operator=(const SyncHook&) = delete;

    virtual void handle(const SyncEvent& event) = 0;
};

}  // namespace nas_sync
