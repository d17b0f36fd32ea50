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
// (sqlite3_busy_timeout) at most 25 ms apart during its first 128 ms of
// waiting, so with a 30 ms release it gets in after at most about
// max_hold + 25 ms.
//
// Our states read outside the transaction are used unless another
// connection committed since they were read (PRAGMA data_version) and may
// have changed them: then, if no other sync of this database applied
// anything meanwhile (LocalDatabase::apply_generation), the application did,
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

#include "engine/key_hash_set.hpp"
#include "engine/local_database.hpp"

namespace nas_sync {

struct PendingRecord {
    const TableInfo* table;
    std::string key;
    std::uint64_t key_hash;  // of table and key
    RecordState remote;
    RecordState local;  // our state of the key when it was read
    std::int64_t local_rowid;  // where its row was then (0: none)
    bool stale;         // another connection committed since: read again before applying
};

class ApplyBatch {
public:
    struct Timing {
        std::chrono::milliseconds max_hold{50};     // longest write transaction
        std::chrono::milliseconds min_release{30};  // lock free at least this long between two
        std::size_t max_buffered = 20000;           // records read ahead at most
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
    void add(const TableInfo& table, std::string key, RecordState remote);
    // Applies what is queued, then runs `last` (recording progress) in the
    // same, last transaction, and commits it.
    void finish(const std::function<void()>& last);

private:
    // Applies queued records in one write transaction of at most max_hold
    // (what is left stays queued); commits it unless `leave_open`.
    void apply_some(bool leave_open);
    bool known_absent(const TableInfo& table);
    void mark_changed_records_stale();
    void open_write();
    void commit_write();
    static constexpr std::size_t min_records_to_learn = 256;  // see commit_write
    static constexpr std::int64_t capture_rows_per_transaction = 1000;  // ~20 ms of the hold at most

    LocalDatabase& db_;
    Apply apply_;
    Timing timing_;
    std::deque<PendingRecord> queue_;
    // Hashes of the table and key of each queued record (a collision only
    // applies the queue early).
    KeyHashSet queued_keys_;
    std::int64_t read_version_ = 0;                    // data_version when queue_'s states were read
    std::int64_t read_changelog_id_ = 0;               // the change log's last id then
    std::int64_t read_generation_ = 0;                 // the apply generation then, plus our own applies since
    std::chrono::steady_clock::time_point read_start_;  // when the oldest queued state was read
    std::chrono::steady_clock::time_point released_;    // when the last write transaction committed
    std::optional<std::int64_t> empty_since_;                // data_version when empty_tables_ was true
    std::unordered_map<const TableInfo*, bool> empty_tables_;  // held nothing of ours when first met
    bool reading_ = false;  // a read transaction is open (states being read)
    std::optional<LocalDatabase::Transaction> tx_;
    std::chrono::steady_clock::time_point opened_;
    std::size_t applied_in_tx_ = 0;
};

}  // namespace nas_sync
