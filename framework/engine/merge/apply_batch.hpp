// Applying a stream of peers' record states to the local database without
// making the application's writers wait long.
//
// Records are applied in chunks. Reading a chunk (our own state of each key,
// in one read transaction) happens outside any write transaction, so it costs
// the application nothing; only the writes hold the write lock, for at most
// `max_hold` including the commit (whose length per record is measured on
// this connection, across batches, and predicted), and between two write
// transactions the lock stays free for at least `min_release`. An application
// write that finds the lock taken is retried by SQLite's default busy handler
// (sqlite3_busy_timeout) at 53 and 78 ms, and at most 25 ms apart before, so
// with a 30 ms release it gets in at the first retry after the hold ends:
// within 78 ms while holds end by then. The last transaction of a batch may
// run to `max_last_hold` when that finishes the batch: cheaper than another
// release and transaction for a small rest, and it still ends by 78 ms with
// room for the commit to overrun its estimate.
//
// A write transaction opens once the queue holds what one carries (at the
// pace learned on the connection), or reading has gone on for `max_reading`:
// a transaction the queue runs dry in ends early, and each one more costs a
// release. None opens while everything still to come (when the caller knows
// it) fits in the last one.
//
// Our states read outside the transaction are used unless another
// connection committed since they were read (PRAGMA data_version) and may
// have changed them: then, if no other sync of this database applied
// anything meanwhile (StateKey::apply_generation), the application did,
// and the change log names the keys it changed; those, or else all, are read
// again under the lock just before they are applied. Each write
// transaction captures local changes first and drops the change-log rows its
// applies would log (no echo). A failure rolls back only the open
// transaction; what was committed before is valid on its own, and progress is
// recorded by finish() in the last one.
//
// One thread; the batch must not outlive the LocalDatabase.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

#include "engine/local/local_database.hpp"
#include "engine/merge/key_hash_set.hpp"

namespace nas_sync {

struct PendingRecord {
    const TableInfo* table;
    std::string key;
    std::uint64_t key_hash;  // of table and key
    RecordState remote;
    Lineage remote_lineage;
    RecordState local;  // our state of the key when it was read
    Lineage local_lineage;
    std::int64_t local_rowid;  // where its row was then (0: none)
    bool stale;         // another connection committed since: read again before applying
    bool had_row;       // we had a row for the key when it was queued (see ApplyPace)
    bool known_absent;  // nothing of the key was recorded (no read needed: known_absent()), and nobody committed since
    std::size_t bytes;  // the memory of its rows when queued (heap_bytes), counted in queued_bytes_
};

class ApplyBatch {
    using Clock = std::chrono::steady_clock;

public:
    struct Timing {
        std::chrono::milliseconds max_hold{50};       // longest write transaction
        std::chrono::milliseconds min_release{30};    // lock free at least this long between two
        std::size_t max_buffered = 20000;             // records read ahead at most
        std::chrono::milliseconds max_reading{60};    // longest wait for a full queue
        std::chrono::milliseconds max_last_hold{60};  // longest last write transaction
        std::size_t max_buffered_bytes = 64u << 20;   // the memory of the rows read ahead at most
        std::chrono::milliseconds max_checkpoint_wait{150};  // longest wait for our checkpoint to end
    };
    // `apply` decides one record (resolvers) and writes the outcome; it runs
    // inside a write transaction opened with begin_apply(), and may take the
    // record's key and remote state (the record is dropped right after).
    using Apply = std::function<void(PendingRecord&)>;

    ApplyBatch(LocalDatabase& db, Apply apply, Timing timing);
    ApplyBatch(LocalDatabase& db, Apply apply) : ApplyBatch(db, std::move(apply), Timing{}) {}
    ~ApplyBatch();
    ApplyBatch(const ApplyBatch&) = delete;
    ApplyBatch& operator=(const ApplyBatch&) = delete;

    // Reads our state of the key now and queues the record; applies queued
    // records once the lock has been free for min_release, or the queue is full.
    void add(const TableInfo& table, std::string key, RecordState remote, const Lineage& remote_lineage);
    // Which tables' records need our row itself (a resolver reads it), not
    // only our version: the others' states are read from the recorded
    // version alone (RecordStore::recorded_state), unless the change log
    // says the application changed the row since it was last captured.
    // Without this, every state is read with its row.
    void set_rows_needed(std::function<bool(const TableInfo&)> needed) { rows_needed_ = std::move(needed); }
    // Runs after each write transaction commits: what `apply` did in it is
    // in the database now (a transaction that fails rolls back, and its
    // records count for nothing).
    void on_commit(std::function<void()> committed) { on_commit_ = std::move(committed); }
    // Tells that at most `records` more will be added before finish(), when
    // the caller knows: a write transaction is not opened for part of them
    // when all of them fit in the last one.
    void last_records(std::size_t records) { to_come_ = records; }
    // Applies what is queued, then runs `last` (recording progress) in the
    // same, last transaction, and commits it.
    void finish(const std::function<void()>& last);

private:
    // Applies queued records in one write transaction of at most max_hold
    // (what is left stays queued); commits it unless `leave_open`.
    void apply_some(bool leave_open);
    bool ready_to_write() const;
    bool rest_fits_last_hold(Clock::duration elapsed) const;
    std::optional<double> hold_ms(std::size_t had_row, std::size_t new_row) const;
    double commit_ms(std::size_t had_row, std::size_t new_row) const;
    bool known_absent(const TableInfo& table);
    RecordState read_state(const TableInfo& table, const std::string& key, std::uint64_t key_hash, std::int64_t& rowid,
                           Lineage& lineage);
    void note_uncaptured();
    void mark_changed_records_stale();
    void open_write();
    void commit_write();
    static constexpr std::size_t min_records_to_learn = 256;  // see commit_write
    static constexpr std::int64_t capture_rows_per_transaction = 1000;  // ~20 ms of the hold at most

    LocalDatabase& db_;
    Apply apply_;
    Timing timing_;
    std::deque<PendingRecord> queue_;
    std::size_t queued_had_row_ = 0;      // queued records with had_row
    std::size_t queued_bytes_ = 0;        // the memory of the queued records' rows (heap_bytes)
    std::optional<std::size_t> to_come_;  // records still to be added, when known
    // Hashes of the table and key of each queued record (a collision only
    // applies the queue early).
    KeyHashSet queued_keys_;
    std::int64_t read_version_ = 0;                    // data_version when queue_'s states were read
    std::optional<std::int64_t> version_at_release_;   // data_version after our last commit
    std::int64_t read_changelog_id_ = 0;               // the change log's last id then
    std::int64_t read_generation_ = 0;                 // the apply generation then, plus our own applies since
    Clock::time_point read_start_;  // when the oldest queued state was read
    Clock::time_point released_;    // when the last write transaction committed
    std::optional<std::int64_t> empty_since_;                // data_version when empty_tables_ was true
    std::unordered_map<const TableInfo*, bool> empty_tables_;  // held nothing of ours when first met
    std::optional<ReadTransaction> reading_;  // open while states are read
    std::function<bool(const TableInfo&)> rows_needed_;
    std::function<void()> on_commit_;
    // Keys the change log names after the capture point of the batch's first
    // read, up to `uncaptured_through_` (extended at each read transaction):
    // their rows are read (see set_rows_needed).
    KeyHashSet uncaptured_;
    std::optional<std::int64_t> uncaptured_through_;
    std::optional<WriteTransaction> tx_;
    Clock::time_point opened_;
    std::size_t applied_in_tx_ = 0;
    std::size_t applied_had_row_ = 0;  // of applied_in_tx_
    std::int64_t changes_at_open_ = 0;  // Connection::total_changes() when it opened
};

}  // namespace nas_sync
