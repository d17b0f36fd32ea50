// The synced tables' records in our database: reading a record's state (its
// row, recorded version and tombstone) and writing a peer's state into it,
// with the per-table SQL both need. Rows and versions applied from peers are
// staged and written in groups (many rows per statement), and nothing
// applied is logged as our change (see Connection::applying).
//
// Writes happen inside a write transaction between begin_apply() and
// end_apply() (LocalDatabase coordinates those with the change log).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "database/staged_values.hpp"
#include "database/statement.hpp"
#include "engine/local/bookkeeping.hpp"
#include "engine/local/connection.hpp"
#include "engine/local/table_digests.hpp"
#include "engine/tables/synced_table.hpp"
#include "engine/versions/versions.hpp"

namespace nas_sync {

// A change this client made while applying, logged as its own.
struct LocalChange {
    std::string table, key;
    const char* operation;  // "DELETE" or "UPDATE", as the change log writes it
};

class RecordStore {
public:
    // Every version written is reported to `digests`. `origin`: ours
    // (origin_digest), the origin of the changes made here.
    RecordStore(Connection& connection, const std::vector<TableInfo>& tables, TableDigests& digests,
                std::uint64_t origin);
    ~RecordStore();
    RecordStore(const RecordStore&) = delete;
    RecordStore& operator=(const RecordStore&) = delete;

    std::uint64_t origin() const { return origin_; }

    // `rowid`, when given, receives the row's rowid (0: no row, or a WITHOUT
    // ROWID table), which apply_row can use to update it in place; `stored`
    // what _nas_sync_versions records of the key.
    // `unstamped_time`: the version time of a row of a table without a
    // timestamp column that changed since its recorded version (now: the
    // change is being captured).
    RecordState state(const TableInfo& table, const std::string& key, std::int64_t* rowid = nullptr,
                      std::int64_t unstamped_time = now_ms(), std::optional<StoredVersion>* stored = nullptr);
    // The state, its rowid (as above) and its lineage (a change the
    // application made that is not captured yet counts as made here).
    RecordState state(const TableInfo& table, const std::string& key, std::int64_t& rowid, Lineage& lineage);
    // The state from the key's recorded version, without reading its row
    // (its state carries no row image), which is cheaper: right only while
    // the application has not changed the row since it was last captured
    // (the caller checks the change log). Nothing when there is a row without
    // a version of its own: then only state() can tell.
    std::optional<RecordState> recorded_state(const TableInfo& table, const std::string& key, std::int64_t& rowid,
                                              Lineage& lineage);
    // No row, no recorded version and no tombstone of the table.
    bool holds_nothing_of(const TableInfo& table);

    // The table's secondary UNIQUE indexes (not the key, not partial, on
    // plain columns), and the keys of other rows that hold `row`'s values in
    // the index-th of them: applying `row` for `key` would collide with
    // those. None when a value in the index is NULL.
    std::size_t unique_indexes(const TableInfo& table);
    const std::vector<std::string>& unique_index_columns(const TableInfo& table, std::size_t index);
    std::vector<std::string> unique_holders(const TableInfo& table, std::size_t index, const std::string& key,
                                            const RowImage& row);

    // Apply a peer's state, with its lineage. `had_tombstone`: the local
    // state was a deletion (its tombstone goes). `rowid`: where state() found
    // the key's row, when nobody changed it since. `known_absent`: no version
    // of the key is recorded (a first contact's batch knows it), which saves
    // reading it.
    void apply_row(const TableInfo& table, const std::string& key, const RecordState& remote, const Lineage& lineage,
                   bool had_tombstone, std::int64_t rowid = 0, bool known_absent = false);
    void apply_deletion(const TableInfo& table, const std::string& key, const Version& version, const Lineage& lineage);
    // A deletion we only learn of (nothing to remove here): its version, so an older row loses to it.
    void record_deletion_time(const TableInfo& table, const std::string& key, const Version& version,
                              const Lineage& lineage, bool known_absent = false);
    // A deletion made here (a resolver's delete, a UNIQUE collision, a
    // foreign-key repair): newer than the state it removes, and published as
    // our change (see take_local_changes).
    // `stamp`: now (or just after `removed` when that is later), or just
    // after `removed` whatever the clock says, so that every client making
    // the same change makes the same version (a foreign-key repair).
    enum class Stamp { now, after_removed };
    void delete_as_local_change(const TableInfo& table, const std::string& key, const Version& removed,
                                Stamp stamp = Stamp::now);
    // The key's row, changed here by SQL while applying (a foreign-key
    // repair), made our change: its version just after `replaced`.
    void record_update_as_local_change(const TableInfo& table, const std::string& key, const Version& replaced);

    // Records the versions of the rows and tombstones the table had before we
    // synced it (no change-log entry has them), once per table.
    void record_baseline(const TableInfo& table, Bookkeeping& bookkeeping);

    // Versions of local changes (ChangeCapture), written with the next group
    // or by write_staged_versions(); discarded when the transaction fails.
    void stage_version(const std::string& table, const std::string& key, const Version& v, const Lineage& lineage,
                       bool known_absent = false);
    void write_staged_versions();
    void discard_staged_versions() {
        staged_versions_.clear();
        staged_absent_.clear();
    }

    // Around applying (LocalDatabase::begin_apply/end_apply/abort_apply):
    // end_apply writes what is staged; abort_apply forgets it.
    void begin_apply();
    void end_apply();
    void abort_apply();
    // The changes made here while applying, for the change log.
    std::vector<LocalChange> take_local_changes() { return std::move(local_changes_); }

    // Keys deleted (or learned deleted) in the `watched_parents` and rows
    // applied in the `watched_children` since the last take: what foreign-key
    // repair looks at (foreign_key_repair.hpp).
    void watch(std::vector<std::string> watched_parents, std::vector<std::string> watched_children);
    struct ApplyEvents {
        std::vector<std::pair<const TableInfo*, std::string>> deleted, applied;
        bool empty() const { return deleted.empty() && applied.empty(); }
    };
    ApplyEvents take_events() { return std::exchange(events_, {}); }

private:
    struct TableStatements;
    TableStatements& statements(const TableInfo& table);
    void store_version(const std::string& table, const std::string& key, const Version& v, const Lineage& lineage,
                       bool known_absent = false);
    // The lineage of a change made here to the key now (change_lineage).
    Lineage local_change_lineage(const std::string& table, const std::string& key);
    void set_tombstone(const std::string& table, const std::string& key, std::int64_t time_ms);
    void remove_tombstone(const std::string& table, const std::string& key);
    bool update_in_place(TableStatements& st, const TableInfo& table, const RowImage& row, std::int64_t rowid);
    static bool watched(const std::vector<std::string>& tables, const TableInfo& table);
    // Writes the staged versions with `statement` (`width` values per run), keeping the digests.
    void write_versions(Statement& statement, std::size_t width);
    static void write_rows(Statement& statement, StagedValues& values);
    static void write_row_by_row(Statement& single, StagedValues& values, std::size_t width);

    Connection& connection_;
    sqlite3* db_;
    const std::vector<TableInfo>& tables_;
    TableDigests& digests_;
    const std::uint64_t origin_;
    std::map<std::string, std::unique_ptr<TableStatements>> statements_;
    StatementCache cache_;  // per-record queries on the bookkeeping tables
    // Versions of rows applied or captured, written in groups like the rows (see stage_version).
    std::optional<Statement> versions_group_;
    StagedValues staged_versions_;
    std::vector<char> staged_absent_;  // per staged version: known_absent
    std::vector<LocalChange> local_changes_;  // made while applying
    std::vector<std::string> watched_parents_, watched_children_;
    ApplyEvents events_;
};

}  // namespace nas_sync
