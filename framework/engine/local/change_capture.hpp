// The change log (`_changelog`, written by the original's triggers for every
// change the application makes) and its capture: every record the
// application changed since the last capture gets its version recorded, so
// that a later state of it is always newer. Also the change log's upkeep:
// pruning, the heartbeat row, and forgetting what applying a peer logged.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "database/statement.hpp"
#include "engine/local/bookkeeping.hpp"
#include "engine/local/connection.hpp"
#include "engine/local/peer_progress.hpp"
#include "engine/local/record_store.hpp"
#include "engine/tables/synced_table.hpp"

namespace nas_sync {

class ChangeCapture {
public:
    ChangeCapture(Connection& connection, Bookkeeping& bookkeeping, PeerProgress& peers, RecordStore& records,
                  const std::vector<TableInfo>& tables);
    ChangeCapture(const ChangeCapture&) = delete;
    ChangeCapture& operator=(const ChangeCapture&) = delete;

    // Records the version of every record the application changed since the
    // last capture, at most max_rows change-log rows of them (so a caller can
    // keep transactions short). Call inside a write transaction.
    void capture(std::int64_t max_rows = INT64_MAX);
    // Captures every change, slice_rows change-log rows per short write
    // transaction, reading each slice's states outside the write lock and
    // leaving the lock free for at least min_release between two (as
    // ApplyBatch does). Call outside any transaction.
    void capture_in_slices(std::int64_t slice_rows, std::chrono::milliseconds min_release);

    std::int64_t max_changelog_id();
    // The tables and keys of change-log rows after `id`: what the application
    // changed since.
    std::vector<std::pair<std::string, std::string>> logged_after(std::int64_t id);
    // How many change-log rows there are after `id`.
    std::int64_t count_after(std::int64_t id);

    // Around applying a peer's states: end_apply() removes what got logged
    // meanwhile (a peer's change is not ours: no echo), logs the changes we
    // made ourselves (they spread), and moves the capture point past them.
    void begin_apply();
    void end_apply(const std::vector<LocalChange>& local_changes);

    // The newest of the local changes captured since the last call (the
    // heartbeat's aside), for clock_check; time_ms unknown_time when none.
    struct NewestChange {
        std::string table, key;
        std::int64_t time_ms = unknown_time;
    };
    NewestChange take_newest_captured() { return std::exchange(newest_captured_, {}); }
    // Local changes (table 'key') that could not be dated after the state
    // they replaced, at the upper bound of version times (versions.hpp):
    // their capture made every peer be merged whole at the next sync.
    std::vector<std::string> take_outranked() { return std::exchange(outranked_, {}); }

    // Writes today's heartbeat (as the original does) when newer.
    void write_heartbeat();
    // Removes captured change-log rows older than the retention, never one
    // after keep_after_id (the journal keeps what it has not published).
    void prune(std::chrono::milliseconds retention, std::int64_t keep_after_id);

private:
    struct Change {
        const TableInfo* table;
        std::string key;
        RecordState state;  // its kind and version; no row image
        Lineage lineage;    // as a change made here (captured_lineage)
    };
    std::vector<Change> read_changes(std::int64_t from, std::int64_t to);
    void store_changes(const std::vector<Change>& changes, std::int64_t captured_to);
    const TableInfo* find_table(const std::string& name) const;

    Connection& connection_;
    Bookkeeping& bookkeeping_;
    PeerProgress& peers_;
    RecordStore& records_;
    const std::vector<TableInfo>& tables_;
    StatementCache cache_;
    std::int64_t apply_base_id_ = 0;  // the log's last id when applying began
    NewestChange newest_captured_;
    std::vector<std::string> outranked_;
};

}  // namespace nas_sync
