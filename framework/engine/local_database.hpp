// The client's own database: the original's internal tables and triggers
// (names and columns exactly as docs/original-format.md states), our version bookkeeping,
// and the primitives the sync engine applies peers' states with.
//
// Tables of ours (ignored by the original, which skips names starting '_'):
//   _nas_sync_versions(tableName, recordId, time, deleted, hash)  the version of every known record state
//   _nas_sync_state(key, value)                                    capture and publish progress
//   _nas_sync_peers(clientId, merged, objectSize, objectModified)  what we last read of each peer
//   _nas_sync_journal(clientId, segment)                          journal segments read from each peer
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "database/staged_values.hpp"
#include "database/statement.hpp"
#include "engine/versions.hpp"
#include "host/loaded_pipeline.hpp"

namespace nas_sync {

class BackgroundCheckpointer;

// The heartbeat table, synced like an application table.
TableInfo heartbeat_table();

class LocalDatabase {
public:
    // Opens (WAL, busy timeout) the database; `tables` are the synced tables.
    LocalDatabase(const std::filesystem::path& file, std::vector<TableInfo> tables);
    ~LocalDatabase();
    LocalDatabase(const LocalDatabase&) = delete;
    LocalDatabase& operator=(const LocalDatabase&) = delete;

    sqlite3* handle() const { return db_; }
    const std::filesystem::path& file() const { return file_; }
    // Synced tables plus _heartbeat.
    const std::vector<TableInfo>& tables() const { return tables_; }
    const TableInfo* find_table(const std::string& name) const;

    // Creates the internal tables and (re)creates the triggers whose SQL
    // differs from ours. Idempotent; adopts a database set up by the original.
    void install();

    // RAII write transaction (BEGIN IMMEDIATE); rolls back unless committed.
    class Transaction {
    public:
        explicit Transaction(LocalDatabase& db);
        ~Transaction();
        void commit();

    private:
        LocalDatabase& db_;
        bool done_ = false;
    };

    std::string meta(const std::string& key) const;  // _sync_meta
    void set_meta(const std::string& key, const std::string& value);
    std::int64_t state_value(const std::string& key) const;  // _nas_sync_state, 0 when unset
    void set_state_value(const std::string& key, std::int64_t value);
    void clear_state_value(const std::string& key);

    // Records the version of every record the application changed since the
    // last capture, at most max_rows change-log rows of them (so a caller can
    // keep transactions short). Call inside a write transaction.
    void capture(std::int64_t max_rows = INT64_MAX);
    // Captures every change, slice_rows change-log rows per short write
    // transaction, reading each slice's states outside the write lock and
    // leaving the lock free for at least min_release between two (as
    // ApplyBatch does). Call outside any transaction.
    void capture_in_slices(std::int64_t slice_rows, std::chrono::milliseconds min_release);
    std::int64_t max_changelog_id() const;

    // `rowid`, when given, receives the row's rowid (0: no row, or a WITHOUT
    // ROWID table), which apply_row can use to update it in place.
    RecordState state(const TableInfo& table, const std::string& key, std::int64_t* rowid = nullptr);
    // The state from the key's recorded version, without reading its row
    // (its state carries no row image), which is cheaper: right only while
    // the application has not changed the row since it was last captured
    // (the caller checks the change log). Nothing when there is a row without
    // a version of its own: then only state() can tell.
    std::optional<RecordState> recorded_state(const TableInfo& table, const std::string& key, std::int64_t* rowid);
    // No row, no recorded version and no tombstone of the table.
    bool holds_nothing_of(const TableInfo& table);

    // Apply a peer's state (inside a transaction opened with begin_apply()).
    // apply_row returns false when a secondary UNIQUE index holds the values
    // for another key whose state is newer: the incoming row then loses and is
    // recorded as deleted here (a local change that spreads).
    // `had_tombstone`: the local state was a deletion (its tombstone goes).
    // `rowid`: where state() found the key's row, when nobody changed it since.
    bool apply_row(const TableInfo& table, const std::string& key, const RecordState& remote, bool had_tombstone,
                   std::int64_t rowid = 0);
    void apply_deletion(const TableInfo& table, const std::string& key, const Version& version);
    void record_deletion_time(const TableInfo& table, const std::string& key, const Version& version);
    // A deletion made here (a resolver's delete, a UNIQUE collision): newer than
    // the state it removes, and published as our change.
    void delete_as_local_change(const TableInfo& table, const std::string& key, const Version& removed);

    // Echo suppression: changes applied from peers are not logged as ours.
    // abort_apply: the transaction begun with begin_apply rolls back.
    void begin_apply();
    void end_apply();
    void abort_apply();

    // Changes when another connection commits (PRAGMA data_version).
    std::int64_t data_version();
    // Counts the apply transactions of every sync of this database (end_apply
    // adds one): their writes are not in the change log, so a reader learns
    // from this whether any happened.
    std::int64_t apply_generation() const { return state_value("apply_generation"); }
    // The tables and keys of change-log rows after `id`: what the application
    // changed since.
    std::vector<std::pair<std::string, std::string>> logged_after(std::int64_t id);
    // Has what our commits put in the WAL moved into the database file, in
    // the background (BackgroundCheckpointer), so that the application's
    // next commit does not copy it. Commits call it as the WAL grows; a sync
    // calls it when done.
    void flush_wal();
    // Waits, at most `at_most`, for a checkpoint flush_wal() asked for to end.
    void wait_for_checkpoint(std::chrono::milliseconds at_most);
    // How ApplyBatch's write transactions went on this connection, per
    // record, kept across batches (a sync applies each peer in a batch of its
    // own). Kept apart for records whose row we had, rewritten in place (with
    // random keys each changes a page or more of its own), and for new rows
    // (in key order, many to a page): a first contact's pace says little
    // about the next sync's.
    struct ApplyPace {
        struct PerRecord {
            double commit_ms = 0.02;  // committing; a cautious guess until measured
            double hold_ms = 0;       // applying and committing (0: not measured yet)
        };
        PerRecord had_row, new_row;
        PerRecord& of(bool had) { return had ? had_row : new_row; }
    };
    ApplyPace& apply_pace() { return apply_pace_; }

    // Progress per peer.
    std::int64_t last_seen_id(const std::string& peer) const;
    struct PeerRecord {
        bool merged = false;
        std::int64_t object_size = -1;
        std::int64_t object_modified = -1;
    };
    PeerRecord peer(const std::string& peer) const;
    void record_peer(const std::string& peer, std::int64_t last_seen_id, std::int64_t object_size,
                     std::int64_t object_modified);

    // The journal segment read last from each peer (journal exchange); no
    // entry: never read.
    std::optional<std::int64_t> journal_progress(const std::string& peer) const;
    std::map<std::string, std::int64_t> journal_progress() const;
    void set_journal_progress(const std::string& peer, std::int64_t segment);

    // Writes today's heartbeat (as the original does) when newer.
    void write_heartbeat();
    // Removes captured change-log rows older than the retention, never one
    // after keep_after_id (the journal keeps what it has not published).
    void prune_changelog(std::chrono::milliseconds retention, std::int64_t keep_after_id);

private:
    void use_wal();
    static constexpr int checkpoint_after_frames = 4096;  // 16 MiB of 4 KiB pages
    void record_baseline(const TableInfo& table);
    struct Change {
        const TableInfo* table;
        std::string key;
        RecordState state;
    };
    std::vector<Change> read_changes(std::int64_t from, std::int64_t to);
    void store_changes(const std::vector<Change>& changes, std::int64_t captured_to);
    struct TableStatements;
    TableStatements& statements(const TableInfo& table);
    void store_version(const std::string& table, const std::string& key, const Version& v);
    void stage_version(const std::string& table, const std::string& key, const Version& v);
    void set_tombstone(const std::string& table, const std::string& key, std::int64_t time_ms);
    void remove_tombstone(const std::string& table, const std::string& key);
    bool update_in_place(TableStatements& st, const TableInfo& table, const RowImage& row, std::int64_t rowid);
    static void write_rows(Statement& statement, StagedValues& values);
    static void write_row_by_row(Statement& single, StagedValues& values, std::size_t width);
    void write_staged();

    std::filesystem::path file_;
    sqlite3* db_ = nullptr;
    std::unique_ptr<BackgroundCheckpointer> checkpointer_;  // started by the first flush_wal()
    int wal_frames_ = 0;  // the WAL's length after our last commit (0: flushed)
    ApplyPace apply_pace_;
    std::vector<TableInfo> tables_;
    std::map<std::string, std::unique_ptr<TableStatements>> statements_;
    StatementCache cache_;  // per-record queries on the bookkeeping tables
    std::int64_t apply_base_id_ = 0;
    bool applying_ = false;  // between begin_apply and end_apply: our triggers do not log
    // Versions of rows applied or captured, written in groups like the rows (see stage_version).
    std::optional<Statement> versions_group_;
    StagedValues staged_versions_;
    std::vector<std::pair<std::string, std::string>> local_deletions_;  // made while applying
};

}  // namespace nas_sync
