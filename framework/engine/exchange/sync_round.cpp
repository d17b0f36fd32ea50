#include "engine/exchange/sync_round.hpp"

#include <fmt/format.h>

#include "engine/merge/apply_batch.hpp"
#include "engine/share/clock_check.hpp"
#include "nas_sync/error.hpp"

namespace nas_sync {
namespace fs = std::filesystem;

void SyncRound::begin() {
    auto& db = ctx_.db;
    {
        WriteTransaction tx(db.connection());
        if (db.bookkeeping().schema_version() != ctx_.schema_version) {
            db.bookkeeping().set_schema_version(ctx_.schema_version);
            db.bookkeeping().increment(StateKey::applied_seq);
            db.bookkeeping().set(StateKey::publish_owed, 1);  // peers must see it at once, not at the merged rate
        }
        tx.commit();
    }
    capture_changes();
}

// In slices, so the application never waits long for the write lock.
void SyncRound::capture_changes() { ctx_.db.changes().capture_in_slices(2000, ApplyBatch::Timing{}.min_release); }

SyncRound::Covered SyncRound::capture_rest() {
    capture_changes();  // what the application wrote during this sync, then the rest under the lock
    auto& db = ctx_.db;
    WriteTransaction tx(db.connection());
    db.changes().capture();
    const Covered covered{db.changes().max_changelog_id(), db.bookkeeping().get(StateKey::applied_seq)};
    tx.commit();
    return covered;
}

namespace {

// The largest read progress file read: a line per client.
constexpr std::uint64_t max_progress_bytes = 64 * 1024;
// Room left in the temporary folder after a copy.
constexpr std::uint64_t spare_temporary_bytes = 64ull << 20;

std::int64_t signature_of(const ObjectInfo& object) {
    const auto signature = static_cast<std::int64_t>(object.size * 1'000'003u ^ static_cast<std::uint64_t>(to_ms(object.modified)));
    return signature == 0 ? 1 : signature;
}

}  // namespace

bool SyncRound::fetch(const std::string& peer, const ObjectInfo& object, const fs::path& copy, SyncResult& result,
                      Expect expect, bool remember) {
    auto& state = ctx_.db.bookkeeping();
    const std::int64_t signature = signature_of(object);
    const std::int64_t rejected = state.rejected_object(object.name);
    if (rejected == signature) {
        result.warnings.push_back(fmt::format("peer '{}': '{}' was refused before and has not changed since; skipped",
                                              peer, object.name));
        return false;
    }
    auto refuse = [&](const std::string& problem) { return this->refuse(peer, object, problem, result, remember); };
    auto missing = [&] {
        result.warnings.push_back(fmt::format(
            "peer '{}': '{}' was listed but is missing now (being replaced?); trying next round", peer, object.name));
        return false;
    };
    try {
        if (expect == Expect::progress && object.size > max_progress_bytes)
            return refuse(fmt::format("{} bytes, more than a read progress file has", object.size));
        if (expect == Expect::database) {
            const std::string head = ctx_.transport.read_first_bytes(object.name, 100);
            if (const auto problem = sqlite_header_problem(head, object.size)) return refuse(*problem);
        }
        std::error_code ec;
        const auto room = fs::space(copy.parent_path(), ec);
        if (!ec && room.available < object.size + spare_temporary_bytes) {
            result.warnings.push_back(fmt::format(
                "peer '{}': '{}' ({} bytes) is not copied: the temporary folder '{}' has {} bytes free; trying next round",
                peer, object.name, object.size, copy.parent_path().parent_path().string(), room.available));
            return false;
        }
        ctx_.transport.get(object.name, copy);
    } catch (const Error& e) {
        if (e.code() != ErrorCode::not_found) throw;
        return missing();
    }
    // Replaced (or grown) since it was listed: what was checked is not what was copied.
    if (const auto copied = fs::file_size(copy); copied != object.size) {
        result.warnings.push_back(fmt::format("peer '{}': '{}' changed while it was copied ({} bytes listed, {} copied); "
                                              "trying next round",
                                              peer, object.name, object.size, copied));
        return false;
    }
    if (rejected != 0) {  // it changed, and is what it must be now
        WriteTransaction tx(ctx_.db.connection());
        state.set_rejected_object(object.name, 0);
        tx.commit();
    }
    result.bytes_fetched += fs::file_size(copy);
    return true;
}

bool SyncRound::refuse(const std::string& peer, const ObjectInfo& object, const std::string& problem,
                       SyncResult& result, bool remember) {
    result.warnings.push_back(
        fmt::format("peer '{}': '{}' is refused ({}); it is not read again until it changes", peer, object.name, problem));
    if (!remember) return false;
    WriteTransaction tx(ctx_.db.connection());
    ctx_.db.bookkeeping().set_rejected_object(object.name, signature_of(object));
    tx.commit();
    return false;
}

bool SyncRound::usable(const std::string& peer, const PeerDatabase& database, SyncResult& result) {
    const std::string theirs = database.schema_version();
    if (theirs != ctx_.schema_version) {
        result.skipped_remotes.push_back({peer, theirs, ctx_.schema_version});
        return false;
    }
    for (const auto& table : ctx_.db.tables()) {
        if (table.name == heartbeat_table_name || database.has_table(table)) continue;
        // Tables the original cannot sync are not in the schema version: a
        // peer may not have them (an original client, or one that syncs
        // fewer); its other tables are merged, and this one has no records.
        if (!table.original_kind()) {
            result.warnings.push_back(fmt::format(
                "peer '{}' has no table '{}' keyed by ({}) in its copy (its client does not sync it): its other "
                "tables are merged",
                peer, table.name, fmt::join(table.key_columns, ", ")));
            continue;
        }
        throw Error(ErrorCode::corrupt, fmt::format("its copy has no plain table '{}' with key columns ({})", table.name,
                                                    fmt::join(table.key_columns, ", ")));
    }
    return true;
}

void SyncRound::check_clocks(SyncResult& result) {
    auto& db = ctx_.db;
    const auto offset = ctx_.guard.share_clock_offset_ms();
    if (offset) {
        if (const auto warning = local_clock_warning(*offset)) result.warnings.push_back(*warning);
        WriteTransaction tx(db.connection());
        db.bookkeeping().set(StateKey::share_clock_offset_ms, *offset);
        tx.commit();
    }
    for (const auto& record : db.changes().take_outranked())
        result.warnings.push_back(fmt::format(
            "a local change of {} could not be dated after the state it replaced, which is at the upper bound of "
            "version times (9999-12-31): every peer is merged whole, so the state that ranks higher is kept everywhere",
            record));
    const auto newest = db.changes().take_newest_captured();
    if (const auto warning = local_change_warning(newest.table, newest.key, newest.time_ms, now_ms() + offset.value_or(0)))
        result.warnings.push_back(*warning);
}

void SyncRound::check_peer_clock(const std::string& peer, std::int64_t newest_ms,
                                 std::chrono::system_clock::time_point published, SyncResult& result) {
    if (newest_ms == unknown_time) return;  // nothing merged: nothing to tell
    const auto warning = peer_clock_warning(peer, newest_ms, to_ms(published));
    if (warning) result.warnings.push_back(*warning);
    auto& state = ctx_.db.bookkeeping();
    const std::int64_t ahead = warning ? newest_ms - to_ms(published) : 0;
    if (ahead == state.peer_ahead_ms(peer)) return;
    WriteTransaction tx(ctx_.db.connection());
    state.set_peer_ahead_ms(peer, ahead);
    tx.commit();
}

void SyncRound::report_skipped_keys(const std::string& peer, const PeerDatabase& database, SyncResult& result) {
    for (const auto& [table, count] : database.skipped_keys())
        result.warnings.push_back(fmt::format("peer '{}': {} row(s) of table '{}' have a NULL, integer or blob key, "
                                              "not text as ours, and were skipped",
                                              peer, count, table));
}

void SyncRound::write_heartbeat() {
    if (!ctx_.settings.heartbeat) return;
    WriteTransaction tx(ctx_.db.connection());
    ctx_.db.changes().write_heartbeat();
    tx.commit();
}

void SyncRound::end(std::int64_t keep_changelog_after, std::vector<std::string>& warnings) {
    {
        WriteTransaction tx(ctx_.db.connection());
        ctx_.db.changes().prune(ctx_.settings.changelog_retention, keep_changelog_after);
        ctx_.db.conflicts().prune(ctx_.settings.conflict_log_retention);
        tx.commit();
    }
    for (auto& warning : ctx_.transport.take_warnings()) warnings.push_back(std::move(warning));
}

Status SyncRound::status_of_this_client(std::int64_t published_id) {
    Status status;
    status.client_id = ctx_.settings.client_id;
    status.schema_version = ctx_.schema_version;
    status.unpublished_changes = ctx_.db.changes().count_after(published_id);
    // What the last syncs measured of clocks (clock_check.hpp).
    auto& state = ctx_.db.bookkeeping();
    if (const auto warning = local_clock_warning(state.get(StateKey::share_clock_offset_ms)))
        status.warnings.push_back(*warning);
    for (const auto& [peer, ahead] : state.peers_ahead_ms())
        status.warnings.push_back(fmt::format(
            "peer '{}' published changes dated {} ahead of the share's clock when last read: its clock or its "
            "application's timestamps are ahead", peer, describe_span(ahead)));
    return status;
}

}  // namespace nas_sync
