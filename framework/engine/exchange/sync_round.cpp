#include "engine/exchange/sync_round.hpp"

#include <fmt/format.h>

#include "engine/merge/apply_batch.hpp"
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

bool SyncRound::fetch(const std::string& peer, const std::string& object, const fs::path& copy, SyncResult& result) {
    try {
        ctx_.transport.get(object, copy);
    } catch (const Error& e) {
        if (e.code() != ErrorCode::not_found) throw;
        result.warnings.push_back(
            fmt::format("peer '{}': '{}' was listed but is missing now (being replaced?); trying next round", peer, object));
        return false;
    }
    result.bytes_fetched += fs::file_size(copy);
    return true;
}

bool SyncRound::usable(const std::string& peer, const PeerDatabase& database, SyncResult& result) {
    const std::string theirs = database.schema_version();
    if (theirs != ctx_.schema_version) {
        result.skipped_remotes.push_back({peer, theirs, ctx_.schema_version});
        return false;
    }
    for (const auto& table : ctx_.db.tables())
        if (table.name != heartbeat_table_name && !database.has_table(table))
            throw Error(ErrorCode::corrupt,
                        fmt::format("its copy has no plain table '{}' with key column '{}'", table.name, table.primary_key));
    return true;
}

void SyncRound::write_heartbeat() {
    if (!ctx_.settings.heartbeat) return;
    WriteTransaction tx(ctx_.db.connection());
    ctx_.db.changes().write_heartbeat();
    tx.commit();
}

void SyncRound::end(std::int64_t keep_changelog_after) {
    WriteTransaction tx(ctx_.db.connection());
    ctx_.db.changes().prune(ctx_.settings.changelog_retention, keep_changelog_after);
    tx.commit();
}

Status SyncRound::status_of_this_client(std::int64_t published_id) {
    Status status;
    status.client_id = ctx_.settings.client_id;
    status.schema_version = ctx_.schema_version;
    status.unpublished_changes = ctx_.db.changes().count_after(published_id);
    return status;
}

}  // namespace nas_sync
