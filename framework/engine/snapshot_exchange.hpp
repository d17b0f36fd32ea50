// The `snapshot` exchange: the original's share layout. Each client publishes
// a full copy of its database as client-<id>.sqlite; each reads its peers'
// copies and merges their states, incrementally from their change logs, or in
// full on first contact and after a gap.
#pragma once

#include <functional>
#include <cstdint>
#include <optional>
#include <string>

#include "engine/local_database.hpp"
#include "engine/read_ahead.hpp"
#include "host/loaded_pipeline.hpp"
#include "nas_sync/client.hpp"
#include "nas_sync/transport.hpp"

namespace nas_sync {

class PeerSnapshot;
struct PendingRecord;
class WorkFolder;

struct SyncContext {
    const LoadedPipeline& pipeline;
    LocalDatabase& db;
    std::string schema_version;
    std::function<void(const ConflictEvent&)> on_conflict;
};

// Writes a consistent copy of the database (SQLite's online backup) to `copy`.
void backup_database(sqlite3* source, const std::filesystem::path& copy);
std::int64_t to_ms(std::chrono::system_clock::time_point t);

// The object name of a client's snapshot, and the client id in a name (or "").
std::string snapshot_object_name(const std::string& client_id);
std::string client_of_snapshot_object(const std::string& object_name);

class SnapshotExchange {
public:
    explicit SnapshotExchange(SyncContext context) : ctx_(std::move(context)) {}
    SyncResult sync();
    Status status();

    // Our id, schema version and the change-log rows after the id stored
    // under published_key (what the last publish covered).
    Status status_of_this_client(const std::string& published_key);

    // The parts of a round, shared with the journal exchange.
    void begin_round();  // schema version, capture
    // Records the versions of what the application changed (LocalDatabase::capture_in_slices).
    void capture_changes();
    // Reads one peer's snapshot object (skipped when unchanged since last read).
    void pull_snapshot_peer(const std::string& peer, const ObjectInfo& object, const WorkFolder& work,
                            SyncResult& result);
    // Gets an object into `copy`; false (and a warning) when it is listed but gone.
    bool fetch(const std::string& peer, const std::string& object, const std::filesystem::path& copy,
               SyncResult& result);
    // The peer's copy has our schema version (else it is reported) and our tables.
    bool usable(const std::string& peer, const PeerSnapshot& snapshot, SyncResult& result);
    void write_heartbeat();
    // Publishes our copy when it changed since the last publish, or when our
    // object on the share is missing or not the size we wrote.
    void publish(SyncResult& result, std::optional<std::uint64_t> own_size, const WorkFolder& work);
    // Prunes the change log (never rows after keep_changelog_after).
    void end_round(std::int64_t keep_changelog_after);
    // Every record of the peer when after_id is empty (first contact, gap),
    // else the records its change log names after that id; record_progress
    // runs in the transaction that applies the last of them.
    void merge_peer(const std::string& peer, const PeerSnapshot& snapshot, std::optional<std::int64_t> after_id,
                    SyncResult& result, const std::function<void()>& record_progress);
    // Applies the records a producer emits (run on a read-ahead thread, so it
    // must read through its own connection); record_progress as above.
    void apply_records(const std::string& peer, const ReadAhead::Producer& records_of_peer, SyncResult& result,
                       const std::function<void()>& record_progress);

private:
    void merge_record(const PendingRecord& record, const std::string& peer, SyncResult& result, bool& changed);

    SyncContext ctx_;
};

}  // namespace nas_sync
