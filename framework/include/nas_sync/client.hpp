// nas_sync/client.hpp: the engine as a library, for programs that embed it.
//
//     auto client = nas_sync::SyncClient(nas_sync::load_pipeline_file("nas-sync.yaml"));
//     client.on_conflict([](const nas_sync::ConflictEvent& e) { ... });
//     nas_sync::SyncResult r = client.sync_now();   // or client.start() ... client.stop()
//
// Threads: sync_now(), status() and stop() may be called from any thread;
// syncs never overlap (a second caller waits). Callbacks run on the thread
// that syncs. Errors: the constructor throws nas_sync::Error (config for a bad
// pipeline); sync_now() throws nas_sync::Error when the sync failed as a
// whole (a problem with one peer is a warning in the result instead).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nas_sync/discovery.hpp"
#include "nas_sync/pipeline.hpp"
#include "nas_sync/sync_result.hpp"
#include "nas_sync/transport.hpp"

namespace nas_sync {

// Receives the transport the pipeline names and returns the one to use: a
// decorator that counts, logs or injects faults around it.
using TransportWrapper = std::function<std::shared_ptr<Transport>(std::shared_ptr<Transport>)>;

class SyncClient {
public:
    explicit SyncClient(PipelineConfig config, const TransportWrapper& wrap_transport = {});
    ~SyncClient();  // stops the background loop if running
    SyncClient(const SyncClient&) = delete;
    SyncClient& operator=(const SyncClient&) = delete;

    // One sync. Only one sync of a database runs at a time, across
    // processes: when another is running, throws Error(refused) naming it,
    // or waits for it after wait_for_other_syncs(true). The first sync's
    // duration_ms includes the client's setup (the constructor's work).
    SyncResult sync_now();
    void wait_for_other_syncs(bool wait);
    // Syncs every `interval` on a background thread until stop().
    void start();
    // Lets the sync in flight finish, runs one last sync, and joins.
    void stop();
    Status status();
    // Reads every client's digest report from the share and says whether
    // they hold the same rows (`nas-sync verify`); changes nothing.
    FleetVerification verify();
    // Records the share's marker as the one this client syncs with (writing
    // one when the share has none), after the share was moved or replaced on
    // purpose: a sync refuses a share without the marker it recorded. The
    // share's id.
    std::string adopt_share();
    std::vector<SyncedTable> synced_tables() const;

    // The pipeline's hooks (`hooks:`, nas_sync/hook.hpp) run beside these
    // callbacks: on_start before the sync lock is taken, start hooks after;
    // on_conflict at once during the merge, conflict hooks after it;
    // on_complete after the complete hooks (their failures are warnings in
    // the result it gets); on_error after the error hooks, whose failures are
    // appended to the message it gets ("...; also hook 'exec' (hooks[0]) on
    // error: ...") and to the Error sync_now() throws.
    void on_start(std::function<void()> callback);
    void on_complete(std::function<void(const SyncResult&)> callback);
    void on_error(std::function<void(const std::string&)> callback);
    void on_conflict(std::function<void(const ConflictEvent&)> callback);
    // After each write transaction of a peer's merge (SyncProgress).
    void on_progress(std::function<void(const SyncProgress&)> callback);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace nas_sync
