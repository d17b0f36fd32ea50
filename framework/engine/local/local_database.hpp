// The client's own database, as the engine sees it: one connection and the
// parts that hold the engine's SQL, each with one job:
//   Connection      opening (WAL, busy timeout, no fsync at our commits), transactions, checkpoints
//   RecordStore     a record's state, and applying a peer's state (per-table SQL, grouped writes)
//   ChangeCapture   the change log: capturing local changes' versions, pruning, the heartbeat
//   Bookkeeping     what the engine remembers between syncs (_nas_sync_state, one list of keys)
//   PeerProgress    how far we have read each peer
//   ConflictLog     the conflicts merges decided
//   ForeignKeyRepair the schema's ON DELETE actions for what peers deleted
//   TableDigests    each synced table's live records as one digest, for `verify`
// plus the copies we publish (published_copies.hpp). install() adds the
// internal tables and triggers (internal_tables.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/local/bookkeeping.hpp"
#include "engine/local/change_capture.hpp"
#include "engine/local/conflict_log.hpp"
#include "engine/local/connection.hpp"
#include "engine/local/foreign_key_repair.hpp"
#include "engine/local/peer_progress.hpp"
#include "engine/local/record_store.hpp"
#include "engine/local/table_digests.hpp"
#include "engine/tables/synced_table.hpp"

namespace nas_sync {

class LocalDatabase {
public:
    // Opens (WAL, busy timeout) the database; `tables` are the synced tables
    // (the heartbeat table is added). `client_id`: ours, the origin of the
    // changes made here (Lineage).
    LocalDatabase(const std::filesystem::path& file, std::vector<TableInfo> tables, const std::string& client_id);
    LocalDatabase(const LocalDatabase&) = delete;
    LocalDatabase& operator=(const LocalDatabase&) = delete;

    const std::filesystem::path& file() const { return connection_.file(); }
    // Synced tables plus _heartbeat.
    const std::vector<TableInfo>& tables() const { return tables_; }

    // Creates the internal tables and (re)creates the triggers whose SQL
    // differs from ours, and records the versions of rows that were there
    // before. Idempotent; adopts a database set up by the original.
    void install();

    Connection& connection() { return connection_; }
    RecordStore& records() { return records_; }
    ChangeCapture& changes() { return changes_; }
    Bookkeeping& bookkeeping() { return bookkeeping_; }
    PeerProgress& peers() { return peers_; }
    ConflictLog& conflicts() { return conflicts_; }
    TableDigests& digests() { return digests_; }

    // Applying a peer's states, inside a write transaction: between
    // begin_apply() and end_apply() nothing written is logged as our change
    // (no echo); end_apply() writes what is staged, logs the deletions we
    // made ourselves and counts the apply (StateKey::apply_generation);
    // abort_apply() forgets what is staged when the transaction rolls back.
    void begin_apply();
    void end_apply();
    void abort_apply();
    // Rows end_apply() changed to keep foreign keys whole, since the last
    // take (foreign_key_repair.hpp), for the sync result's warnings.
    std::vector<std::string> take_repair_notes() { return foreign_keys_.take_notes(); }

    // What we publish (published_copies.hpp).
    void write_copy(const std::filesystem::path& copy);
    void write_segment(std::int64_t from, std::int64_t to, const std::string& schema_version,
                       const std::filesystem::path& file);

private:
    std::vector<TableInfo> tables_;
    Connection connection_;
    Bookkeeping bookkeeping_;
    PeerProgress peers_;
    ConflictLog conflicts_;
    TableDigests digests_;
    RecordStore records_;
    ChangeCapture changes_;
    ForeignKeyRepair foreign_keys_;
};

}  // namespace nas_sync
