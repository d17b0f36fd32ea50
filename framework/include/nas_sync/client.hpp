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
#include "nas_sync/transport.hpp"

namespace nas_sync {

struct SkippedRemote {
    std::string client;
    std::string remote_schema_version;
    std::string local_schema_version;
};

struct SyncResult {
    int clients_synced = 0;         // peers read (or found unchanged) this round
    std::int64_t inserted = 0;      // rows created here from peers' states
    std::int64_t updated = 0;       // rows replaced by a peer's newer state
    std::int64_t deleted = 0;       // rows removed (a peer's deletion, a resolver, a UNIQUE collision)
    std::int64_t skipped = 0;       // peers' states not applied because ours was kept
    std::int64_t conflicts_resolved = 0;  // records both sides had, decided by the resolver chain
    std::vector<std::string> warnings;
    std::vector<SkippedRemote> skipped_remotes;
    bool had_changelog_gap = false;
    std::uint64_t bytes_published = 0;
    std::uint64_t bytes_fetched = 0;
    std::int64_t duration_ms = 0;
};

struct ConflictEvent {
    std::string table;
    std::string key;
    std::string peer;
    std::string resolution;  // keep_local, take_remote, delete_record
    std::string resolver;    // the plugin that decided, or "version" when all passed
};

struct PeerStatus {
    std::string client;
    std::chrono::system_clock::time_point last_publish;
    std::uint64_t object_size = 0;
    std::int64_t unread_changes = 0;  // snapshot: changed records not read yet; journal: segments not read yet
    bool never_read = false;          // first contact still to come: a full merge
    bool schema_mismatch = false;
    std::string schema_version;
    bool retired = false;  // journal: silent longer than journal.retire_after, no longer waited for
};

struct Status {
    std::string client_id;
    std::string schema_version;
    std::int64_t unpublished_changes = 0;  // our change-log rows not yet in our published copy
    std::vector<PeerStatus> peers;
    std::vector<std::string> warnings;
};

// Receives the transport the pipeline names and returns the one to use: a
// decorator that counts, logs or injects faults around it.
using TransportWrapper = std::function<std::shared_ptr<Transport>(std::shared_ptr<Transport>)>;

class SyncClient {
public:
    explicit SyncClient(PipelineConfig config, const TransportWrapper& wrap_transport = {});
    ~SyncClient();  // stops the background loop if running
    SyncClient(const SyncClient&) = delete;
    SyncClient& operator=(const SyncClient&) = delete;

    SyncResult sync_now();
    // Syncs every `interval` on a background thread until stop().
    void start();
    // Lets the sync in flight finish, runs one last sync, and joins.
    void stop();
    Status status();
    std::vector<SyncedTable> synced_tables() const;

    void on_start(std::function<void()> callback);
    void on_complete(std::function<void(const SyncResult&)> callback);
    void on_error(std::function<void(const std::string&)> callback);
    void on_conflict(std::function<void(const ConflictEvent&)> callback);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace nas_sync
