// Merging a peer's record states into our database: for each record, the
// peer's state against ours, decided by the resolver chain (or the version
// rule), and written (rows through RecordStore, in ApplyBatch's short write
// transactions, read ahead on a thread of their own). A row whose values a
// secondary UNIQUE index already holds for another key keeps the newer of
// the two; the other is deleted here as our change, and that spreads.
//
// Both exchanges merge through this: a snapshot peer's copy (whole, or the
// records its change log names), a journal segment, or a base read in one
// pass with the segments after it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "engine/local/local_database.hpp"
#include "engine/merge/read_ahead.hpp"
#include "engine/merge/resolver_chain.hpp"
#include "engine/peer/peer_database.hpp"
#include "nas_sync/sync_result.hpp"

namespace nas_sync {

struct PendingRecord;

class PeerMerge {
public:
    using ConflictCallback = std::function<void(const ConflictEvent&)>;
    using ProgressCallback = std::function<void(const SyncProgress&)>;

    PeerMerge(LocalDatabase& db, const ResolverChain& resolvers, ConflictCallback on_conflict,
              ProgressCallback on_progress = {})
        : db_(db), resolvers_(resolvers), on_conflict_(std::move(on_conflict)), on_progress_(std::move(on_progress)) {}

    // Every record of the peer's database when after_id is empty (first
    // contact, a gap, a segment), else the records its change log names after
    // that id. record_progress runs in the transaction that applies the last
    // of them.
    void merge(const std::string& peer, const PeerDatabase& database, std::optional<std::int64_t> after_id,
               SyncResult& result, const std::function<void()>& record_progress);
    // Applies the records a producer emits (run on a read-ahead thread, so it
    // must read through its own connection); record_progress as above.
    // `total`: how many records it emits, when known (for progress reports).
    void apply(const std::string& peer, const ReadAhead::Producer& records_of_peer, SyncResult& result,
               const std::function<void()>& record_progress, std::int64_t total = -1);

    // The newest version time of the peer's states merged since the last
    // call (the heartbeat's aside: its value is noon of the day), for
    // clock_check; unknown_time when none.
    std::int64_t take_newest_remote_ms() { return std::exchange(newest_remote_ms_, unknown_time); }

private:
    // Decides one record and writes the outcome; `changed` when our rows changed.
    void merge_record(const PendingRecord& record, const std::string& peer, SyncResult& result, bool& changed);
    // Applies a remote row, keeping the newer of it and any row that holds
    // its values in a secondary UNIQUE index; false when the remote row lost
    // (then it is recorded as deleted here).
    bool apply_row(const PendingRecord& record, const std::string& peer, SyncResult& result);
    // Logs a decided conflict (conflict_log.hpp; not the heartbeat's) and tells on_conflict.
    void report_conflict(const ConflictEvent& event);
    void report_unique_loser(const TableInfo& table, std::size_t index, const std::string& loser,
                             const Version& loser_version, const std::string& winner, const Version& winner_version,
                             const std::string& peer, SyncResult& result);

    LocalDatabase& db_;
    const ResolverChain& resolvers_;
    ConflictCallback on_conflict_;
    ProgressCallback on_progress_;
    std::int64_t newest_remote_ms_ = unknown_time;
};

}  // namespace nas_sync
