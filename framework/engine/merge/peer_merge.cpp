#include "engine/merge/peer_merge.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "engine/merge/apply_batch.hpp"

namespace nas_sync {

void PeerMerge::merge(const std::string& peer, const PeerDatabase& database, std::optional<std::int64_t> after_id,
                      SyncResult& result, const std::function<void()>& record_progress) {
    const auto& tables = db_.tables();
    std::int64_t total = -1;
    std::vector<std::pair<std::string, std::string>> changed;
    if (after_id) {
        changed = database.changed_keys(*after_id);
        total = static_cast<std::int64_t>(changed.size());
    } else if (on_progress_) {
        total = database.record_count(tables);
    }
    apply(
        peer,
        [&database, &tables, &changed, after_id](ReadAhead::Sink& emit) {
            if (!after_id) {
                for (const auto& table : tables) {
                    auto visit = [&](std::string& key, RecordState& remote, const Lineage& lineage) {
                        emit(emit.take(table, key, remote, lineage));
                    };
                    database.for_each_row(table, visit);
                    database.for_each_deletion(table, visit);
                }
                return;
            }
            for (const auto& [table_name, key] : changed)
                for (const auto& table : tables)
                    if (table.name == table_name) {
                        Lineage lineage;
                        RecordState remote = database.state(table, key, &lineage);
                        emit({&table, key, std::move(remote), lineage});
                    }
        },
        result, record_progress, total);
}

void PeerMerge::apply(const std::string& peer, const ReadAhead::Producer& records_of_peer, SyncResult& result,
                      const std::function<void()>& record_progress, std::int64_t total) {
    // The peer's records are read on the read-ahead thread (its own
    // connection) while this one applies them to ours.
    ReadAhead records(records_of_peer);
    bool changed = false;
    std::vector<IncomingRecord> spent;
    std::size_t spent_bytes = 0;
    // Counted into the result once the transaction that applied them commits.
    SyncResult uncommitted;
    std::int64_t decided = 0, committed = 0;
    ApplyBatch batch(db_, [&](PendingRecord& r) {
        merge_record(r, peer, uncommitted, changed);
        ++decided;
        // Applied records go back to the reader for reuse, a block (or a
        // block's bytes) at a time; a large row is let go here at once: kept
        // until a block fills, 16 rows of 100 MB were all held to the end.
        const std::size_t bytes = heap_bytes(r.remote);
        if (bytes > ReadAhead::max_block_bytes) return;
        spent.push_back({r.table, std::move(r.key), std::move(r.remote), {}});
        spent_bytes += bytes;
        if (spent.size() == ReadAhead::block_size || spent_bytes >= ReadAhead::max_block_bytes) {
            records.give_back(std::exchange(spent, {}));
            spent_bytes = 0;
        }
    });
    batch.on_commit([&] {
        result.inserted += std::exchange(uncommitted.inserted, 0);
        result.updated += std::exchange(uncommitted.updated, 0);
        result.deleted += std::exchange(uncommitted.deleted, 0);
        result.skipped += std::exchange(uncommitted.skipped, 0);
        result.conflicts_resolved += std::exchange(uncommitted.conflicts_resolved, 0);
        for (auto& warning : std::exchange(uncommitted.warnings, {})) result.warnings.push_back(std::move(warning));
        for (auto& note : db_.take_repair_notes()) result.warnings.push_back(std::move(note));
        committed = decided;
        if (on_progress_) on_progress_({peer, committed, total});
    });
    // Our rows themselves matter only to resolvers (the rest is decided by versions).
    batch.set_rows_needed([this](const TableInfo& table) { return resolvers_.reads_rows_of(table.name); });
    for (std::vector<IncomingRecord> block; records.next(block);) {
        if (const auto left = records.left()) batch.last_records(*left + block.size());
        for (auto& r : block) batch.add(*r.table, std::move(r.key), std::move(r.remote), r.lineage);
    }
    batch.finish([&] {
        if (changed) db_.bookkeeping().increment(StateKey::applied_seq);
        record_progress();
    });
}

void PeerMerge::merge_record(const PendingRecord& record, const std::string& peer, SyncResult& result, bool& changed) {
    using Kind = RecordState::Kind;
    const TableInfo& table = *record.table;
    const std::string& key = record.key;
    const RecordState& remote = record.remote;
    const RecordState& local = record.local;
    if (remote.kind == Kind::absent) return;
    SyncResult not_counted;  // the heartbeat is bookkeeping, not the application's data
    const bool heartbeat = table.name == heartbeat_table_name;
    SyncResult& counts = heartbeat ? not_counted : result;
    if (!heartbeat) newest_remote_ms_ = std::max(newest_remote_ms_, remote.version.time_ms);
    auto& records = db_.records();
    if (local.kind == remote.kind && local.version == remote.version) return;  // same state
    if (remote.kind == Kind::deletion && local.kind != Kind::row) {
        // Nothing to remove here; remember the newest deletion so that an
        // older row arriving later loses to it.
        if (remote.version > local.version) {
            records.record_deletion_time(table, key, remote.version, record.remote_lineage, record.known_absent);
            changed = true;
        }
        return;
    }

    const auto decision = resolvers_.decide({table.name, key, peer, local, remote});
    // A peer's update of a record it had from us (or a state of ours it has
    // not merged yet) is no conflict; edits made apart from each other are.
    if (concurrent_edits(local, record.local_lineage, remote, record.remote_lineage, records.origin())) {
        ++counts.conflicts_resolved;
        report_conflict({table.name, key, peer, to_string(decision.resolution), std::string(decision.decided_by),
                         local.version.time_ms, local.kind == Kind::deletion, remote.version.time_ms,
                         remote.kind == Kind::deletion});
    }

    switch (decision.resolution) {
        case Resolution::keep_local:
        case Resolution::pass: ++counts.skipped; break;
        case Resolution::take_remote:
            if (remote.kind == Kind::row) {
                if (apply_row(record, peer, counts))
                    ++(local.kind == Kind::row ? counts.updated : counts.inserted);
                else
                    ++(local.kind == Kind::row ? counts.deleted : counts.skipped);
            } else {
                records.apply_deletion(table, key, remote.version, record.remote_lineage);
                ++counts.deleted;
            }
            changed = true;
            break;
        case Resolution::delete_record:
            if (local.kind == Kind::row) {
                records.delete_as_local_change(table, key, std::max(local.version, remote.version));
                ++counts.deleted;
                changed = true;
            }
            break;
    }
}

bool PeerMerge::apply_row(const PendingRecord& record, const std::string& peer, SyncResult& result) {
    const TableInfo& table = *record.table;
    const RecordState& remote = record.remote;
    auto& records = db_.records();
    // Index by index: a row deleted for one index no longer holds values in the next.
    for (std::size_t index = 0, indexes = records.unique_indexes(table); index < indexes; ++index)
        for (const auto& other_key : records.unique_holders(table, index, record.key, *remote.row)) {
            const RecordState other = records.state(table, other_key);
            const bool incoming_loses = other.version > remote.version;
            report_unique_loser(table, index, incoming_loses ? record.key : other_key,
                                incoming_loses ? remote.version : other.version, incoming_loses ? other_key : record.key,
                                incoming_loses ? other.version : remote.version, peer, result);
            if (incoming_loses) {
                // The incoming row loses the collision: it is deleted here, as
                // every client that meets both rows will do, and that spreads.
                records.delete_as_local_change(table, record.key,
                                               std::max(remote.version, records.state(table, record.key).version));
                return false;
            }
            records.delete_as_local_change(table, other_key, other.version);
        }
    records.apply_row(table, record.key, remote, record.remote_lineage, record.local.kind == RecordState::Kind::deletion,
                      record.local_rowid, record.known_absent);
    return true;
}

void PeerMerge::report_conflict(const ConflictEvent& event) {
    if (event.table != heartbeat_table_name) db_.conflicts().record(event);  // in this apply transaction
    if (on_conflict_) on_conflict_(event);
}

// The loser of a UNIQUE collision is deleted on every client, the one that
// made it too: said in a conflict event and a warning, with both versions.
void PeerMerge::report_unique_loser(const TableInfo& table, std::size_t index, const std::string& loser,
                                    const Version& loser_version, const std::string& winner,
                                    const Version& winner_version, const std::string& peer, SyncResult& result) {
    report_conflict({table.name, loser, peer, to_string(Resolution::delete_record), "unique", loser_version.time_ms,
                     false, winner_version.time_ms, false});
    result.warnings.push_back(fmt::format(
        "UNIQUE ({}) of table '{}': record '{}' (version {}) lost to record '{}' (version {}) and was deleted",
        fmt::join(db_.records().unique_index_columns(table, index), ", "), table.name, loser,
        format_timestamp_ms(loser_version.time_ms), winner, format_timestamp_ms(winner_version.time_ms)));
}

}  // namespace nas_sync
