#include "engine/snapshot_exchange.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <regex>

#include "database/statement.hpp"
#include "engine/apply_batch.hpp"
#include "engine/peer_snapshot.hpp"
#include "engine/read_ahead.hpp"
#include "engine/work_folder.hpp"
#include "nas_sync/error.hpp"

namespace nas_sync {
namespace fs = std::filesystem;

std::int64_t to_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

namespace {

const char* to_string(Resolution r) {
    switch (r) {
        case Resolution::keep_local: return "keep_local";
        case Resolution::take_remote: return "take_remote";
        case Resolution::delete_record: return "delete_record";
        case Resolution::pass: return "pass";
    }
    return "pass";
}

}  // namespace

void backup_database(sqlite3* source, const fs::path& copy) {
    sqlite3* dest = nullptr;
    if (sqlite3_open_v2(copy.c_str(), &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
        const std::string message = dest ? sqlite3_errmsg(dest) : "out of memory";
        sqlite3_close(dest);
        throw Error(ErrorCode::io, "cannot create a snapshot copy: " + message);
    }
    // A local scratch copy: the transport's put() flushes what reaches the
    // share, and syncing this file protects nothing (0.1-0.15 s per 200 MB).
    sqlite3_exec(dest, "PRAGMA synchronous = OFF", nullptr, nullptr, nullptr);
    sqlite3_backup* backup = sqlite3_backup_init(dest, "main", source, "main");
    int rc = backup ? sqlite3_backup_step(backup, -1) : sqlite3_errcode(dest);
    if (backup) sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE) {
        const std::string message = sqlite3_errmsg(dest);
        sqlite3_close(dest);
        throw Error(ErrorCode::io, "cannot copy the database for publishing: " + message);
    }
    rc = sqlite3_exec(dest, "PRAGMA journal_mode = DELETE", nullptr, nullptr, nullptr);
    sqlite3_close(dest);
    if (rc != SQLITE_OK) throw Error(ErrorCode::io, "cannot finish the snapshot copy");
}

std::string snapshot_object_name(const std::string& client_id) { return "client-" + client_id + ".sqlite"; }

std::string client_of_snapshot_object(const std::string& object_name) {
    static const std::regex pattern("client-(.+)\\.sqlite");
    std::smatch m;
    if (!std::regex_match(object_name, m, pattern)) return "";
    const std::string id = m[1].str();
    return is_valid_client_id(id) ? id : "";
}

void SnapshotExchange::begin_round() {
    auto& db = ctx_.db;
    {
        LocalDatabase::Transaction tx(db);
        if (db.meta("schemaVersion") != ctx_.schema_version) {
            db.set_meta("schemaVersion", ctx_.schema_version);
            db.set_state_value("applied_seq", db.state_value("applied_seq") + 1);
        }
        tx.commit();
    }
    capture_changes();
}

// In slices, so the application never waits long for the write lock.
void SnapshotExchange::capture_changes() { ctx_.db.capture_in_slices(2000, ApplyBatch::Timing{}.min_release); }

bool SnapshotExchange::usable(const std::string& peer, const PeerSnapshot& snapshot, SyncResult& result) {
    const std::string theirs = snapshot.schema_version();
    if (theirs != ctx_.schema_version) {
        result.skipped_remotes.push_back({peer, theirs, ctx_.schema_version});
        return false;
    }
    for (const auto& table : ctx_.db.tables())
        if (table.name != "_heartbeat" && !snapshot.has_table(table))
            throw Error(ErrorCode::corrupt,
                        fmt::format("its copy has no plain table '{}' with key column '{}'", table.name, table.primary_key));
    return true;
}

bool SnapshotExchange::fetch(const std::string& peer, const std::string& object, const fs::path& copy,
                             SyncResult& result) {
    try {
        ctx_.pipeline.transport().get(object, copy);
    } catch (const Error& e) {
        if (e.code() != ErrorCode::not_found) throw;
        result.warnings.push_back(
            fmt::format("peer '{}': '{}' was listed but is missing now (being replaced?); trying next round", peer, object));
        return false;
    }
    result.bytes_fetched += fs::file_size(copy);
    return true;
}

void SnapshotExchange::pull_snapshot_peer(const std::string& peer, const ObjectInfo& object, const WorkFolder& work,
                                          SyncResult& result) {
    auto& db = ctx_.db;
    const std::int64_t size = static_cast<std::int64_t>(object.size);
    const std::int64_t modified = to_ms(object.modified);
    const auto record = db.peer(peer);
    if (record.merged && record.object_size == size && record.object_modified == modified) {
        ++result.clients_synced;  // unchanged since we last read it
        return;
    }
    const fs::path copy = work.file("peer-" + peer + ".sqlite");
    try {
        if (fetch(peer, object.name, copy, result)) {
            const PeerSnapshot snapshot(copy);
            if (usable(peer, snapshot, result)) {
                const auto range = snapshot.changelog_range();
                const std::int64_t last_seen = db.last_seen_id(peer);
                // Once merged, a changed copy is merged whole when ids the peer
                // logged after what we read are no longer in its log (pruned),
                // or when its log is behind what we read (a restored database).
                // Its AUTOINCREMENT sequence tells an empty log that pruned
                // rows (a gap the original misses when it had read nothing)
                // from one that has logged nothing new: a copy changed only by
                // what the peer merged is not read again.
                const bool logged_more = range.last_id > last_seen;
                const bool gap = record.merged &&
                                 (range.last_id < last_seen ||
                                  (logged_more && (range.count == 0 || range.min_id > last_seen + 1 || range.max_id <= last_seen)));
                if (gap) {
                    result.had_changelog_gap = true;
                    result.warnings.push_back(fmt::format(
                        "peer '{}': its change log no longer reaches back to what we read; merging its whole state", peer));
                }
                merge_peer(peer, snapshot, (!record.merged || gap) ? std::nullopt : std::optional(last_seen), result,
                           [&] { db.record_peer(peer, range.last_id, size, modified); });
                ++result.clients_synced;
            }
        }
    } catch (const Error& e) {
        result.warnings.push_back(fmt::format("peer '{}' skipped this round: {}", peer, e.what()));
    }
    std::error_code ec;
    fs::remove(copy, ec);
}

void SnapshotExchange::end_round(std::int64_t keep_changelog_after) {
    auto& db = ctx_.db;
    const auto& config = ctx_.pipeline.config();
    LocalDatabase::Transaction tx(db);
    db.prune_changelog(config.changelog_retention, keep_changelog_after);
    tx.commit();
}

void SnapshotExchange::write_heartbeat() {
    if (!ctx_.pipeline.config().heartbeat) return;
    LocalDatabase::Transaction tx(ctx_.db);
    ctx_.db.write_heartbeat();
    tx.commit();
}

SyncResult SnapshotExchange::sync() {
    const auto started = std::chrono::steady_clock::now();
    SyncResult result;
    begin_round();
    const auto objects = ctx_.pipeline.transport().list("client-");
    WorkFolder work(ctx_.pipeline.config().client_id);
    std::optional<std::uint64_t> own_size;  // of our object on the share, when listed
    for (const auto& object : objects) {
        const std::string peer = client_of_snapshot_object(object.name);
        if (peer.empty()) continue;
        if (peer == ctx_.pipeline.config().client_id)
            own_size = object.size;
        else
            pull_snapshot_peer(peer, object, work, result);
    }
    write_heartbeat();
    publish(result, own_size, work);
    end_round(INT64_MAX);
    result.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    return result;
}

void SnapshotExchange::merge_peer(const std::string& peer, const PeerSnapshot& snapshot,
                                  std::optional<std::int64_t> after_id, SyncResult& result,
                                  const std::function<void()>& record_progress) {
    const auto& tables = ctx_.db.tables();
    apply_records(
        peer,
        [&snapshot, &tables, after_id](ReadAhead::Sink& emit) {
            if (!after_id) {
                for (const auto& table : tables) {
                    auto visit = [&](std::string& key, RecordState& remote) { emit(emit.take(table, key, remote)); };
                    snapshot.for_each_row(table, visit);
                    snapshot.for_each_deletion(table, visit);
                }
                return;
            }
            for (const auto& [table_name, key] : snapshot.changed_keys(*after_id))
                for (const auto& table : tables)
                    if (table.name == table_name) emit({&table, key, snapshot.state(table, key)});
        },
        result, record_progress);
}

void SnapshotExchange::apply_records(const std::string& peer, const ReadAhead::Producer& records_of_peer,
                                     SyncResult& result, const std::function<void()>& record_progress) {
    auto& db = ctx_.db;
    // The peer's records are read on the read-ahead thread (its own
    // connection) while this one applies them to ours.
    ReadAhead records(records_of_peer);
    bool changed = false;
    std::vector<IncomingRecord> spent;
    ApplyBatch batch(db, [&](PendingRecord& r) {
        merge_record(r, peer, result, changed);
        spent.push_back({r.table, std::move(r.key), std::move(r.remote)});
        if (spent.size() == ReadAhead::block_size) records.give_back(std::exchange(spent, {}));
    });
    // Our rows themselves matter only to resolvers (the rest is decided by versions).
    batch.set_rows_needed([this](const TableInfo& table) {
        const auto& resolvers = ctx_.pipeline.resolvers();
        return std::any_of(resolvers.begin(), resolvers.end(), [&](const auto& r) { return r.applies_to(table.name); });
    });
    for (std::vector<IncomingRecord> block; records.next(block);) {
        if (const auto left = records.left()) batch.last_records(*left + block.size());
        for (auto& r : block) batch.add(*r.table, std::move(r.key), std::move(r.remote));
    }
    batch.finish([&] {
        if (changed) db.set_state_value("applied_seq", db.state_value("applied_seq") + 1);
        record_progress();
    });
}

void SnapshotExchange::merge_record(const PendingRecord& record, const std::string& peer, SyncResult& result,
                                    bool& changed) {
    using Kind = RecordState::Kind;
    const TableInfo& table = *record.table;
    const std::string& key = record.key;
    const RecordState& remote = record.remote;
    const RecordState& local = record.local;
    if (remote.kind == Kind::absent) return;
    SyncResult not_counted;  // the heartbeat is bookkeeping, not the application's data
    SyncResult& counts = table.name == "_heartbeat" ? not_counted : result;
    auto& db = ctx_.db;
    if (local.kind == remote.kind && local.version == remote.version) return;  // same state
    if (remote.kind == Kind::deletion && local.kind != Kind::row) {
        // Nothing to remove here; remember the newest deletion so that an
        // older row arriving later loses to it.
        if (remote.version > local.version) {
            db.record_deletion_time(table, key, remote.version);
            changed = true;
        }
        return;
    }

    Resolution decision = Resolution::pass;
    std::string decided_by = "version";
    const Conflict conflict{table.name, key, peer, local, remote};
    for (const auto& entry : ctx_.pipeline.resolvers()) {
        if (!entry.applies_to(table.name)) continue;
        decision = entry.resolver->resolve(conflict);
        if (decision != Resolution::pass) {
            decided_by = entry.plugin;
            break;
        }
    }
    if (decision == Resolution::pass)
        decision = remote.version > local.version ? Resolution::take_remote : Resolution::keep_local;
    if (local.kind != Kind::absent) {
        ++counts.conflicts_resolved;
        if (ctx_.on_conflict) ctx_.on_conflict({table.name, key, peer, to_string(decision), decided_by});
    }

    switch (decision) {
        case Resolution::keep_local:
        case Resolution::pass: ++counts.skipped; break;
        case Resolution::take_remote:
            if (remote.kind == Kind::row) {
                if (db.apply_row(table, key, remote, local.kind == Kind::deletion, record.local_rowid))
                    ++(local.kind == Kind::row ? counts.updated : counts.inserted);
                else
                    ++(local.kind == Kind::row ? counts.deleted : counts.skipped);
                changed = true;
            } else {
                db.apply_deletion(table, key, remote.version);
                ++counts.deleted;
                changed = true;
            }
            break;
        case Resolution::delete_record:
            if (local.kind == Kind::row) {
                db.delete_as_local_change(table, key, std::max(local.version, remote.version));
                ++counts.deleted;
                changed = true;
            }
            break;
    }
}

void SnapshotExchange::publish(SyncResult& result, std::optional<std::uint64_t> own_size, const WorkFolder& work) {
    auto& db = ctx_.db;
    const bool changed = db.max_changelog_id() != db.state_value("published_changelog_id") ||
                         db.state_value("applied_seq") != db.state_value("published_applied_seq");
    // Our object must be on the share as we wrote it (not missing, not torn).
    const bool intact = own_size && static_cast<std::int64_t>(*own_size) == db.state_value("published_size");
    if (intact && !changed) return;  // idle: nothing new to publish
    std::int64_t changelog_id = 0, applied_seq = 0;
    capture_changes();  // what the application wrote during this sync, then the rest under the lock
    {
        LocalDatabase::Transaction tx(db);
        db.capture();
        changelog_id = db.max_changelog_id();
        applied_seq = db.state_value("applied_seq");
        tx.commit();
    }
    const fs::path copy = work.file("publish.sqlite");
    backup_database(db.handle(), copy);
    ctx_.pipeline.transport().put(copy, snapshot_object_name(ctx_.pipeline.config().client_id));
    const auto size = fs::file_size(copy);
    result.bytes_published += size;
    LocalDatabase::Transaction tx(db);
    db.set_state_value("published_size", static_cast<std::int64_t>(size));
    db.set_state_value("published_changelog_id", changelog_id);
    db.set_state_value("published_applied_seq", applied_seq);
    tx.commit();
}

Status SnapshotExchange::status_of_this_client(const std::string& published_key) {
    Status status;
    status.client_id = ctx_.pipeline.config().client_id;
    status.schema_version = ctx_.schema_version;
    Statement unpublished(ctx_.db.handle(), "SELECT count(*) FROM _changelog WHERE id > ?");
    unpublished.bind(1, ctx_.db.state_value(published_key));
    status.unpublished_changes = unpublished.step() ? unpublished.integer(0) : 0;
    return status;
}

Status SnapshotExchange::status() {
    auto& db = ctx_.db;
    const auto& config = ctx_.pipeline.config();
    Status status = status_of_this_client("published_changelog_id");
    WorkFolder work(config.client_id);
    for (const auto& object : ctx_.pipeline.transport().list("client-")) {
        const std::string peer = client_of_snapshot_object(object.name);
        if (peer.empty() || peer == config.client_id) continue;
        PeerStatus p;
        p.client = peer;
        p.last_publish = object.modified;
        p.object_size = object.size;
        p.never_read = !db.peer(peer).merged;
        const fs::path copy = work.file("peer-" + peer + ".sqlite");
        try {
            ctx_.pipeline.transport().get(object.name, copy);
            const PeerSnapshot snapshot(copy);
            p.schema_version = snapshot.schema_version();
            p.schema_mismatch = p.schema_version != ctx_.schema_version;
            p.unread_changes = static_cast<std::int64_t>(snapshot.changed_keys(db.last_seen_id(peer)).size());
        } catch (const Error& e) {
            status.warnings.push_back(fmt::format("peer '{}': {}", peer, e.what()));
        }
        std::error_code ec;
        fs::remove(copy, ec);
        status.peers.push_back(std::move(p));
    }
    return status;
}

}  // namespace nas_sync
