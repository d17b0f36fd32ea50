#include "engine/local/peer_progress.hpp"

namespace nas_sync {

std::int64_t PeerProgress::last_seen_id(const std::string& peer) const {
    auto s = cache_.use("SELECT lastSeenId FROM _sync_state WHERE remoteClientId = ?");
    s->bind(1, peer);
    return s->step() ? s->integer(0) : 0;
}

std::map<std::string, std::int64_t> PeerProgress::last_seen_ids() const {
    std::map<std::string, std::int64_t> out;
    auto s = cache_.use("SELECT remoteClientId, lastSeenId FROM _sync_state");
    while (s->step()) out[s->text(0)] = s->integer(1);
    return out;
}

PeerProgress::SnapshotRead PeerProgress::snapshot_read(const std::string& peer) const {
    auto s = cache_.use("SELECT merged, objectSize, objectModified FROM _nas_sync_peers WHERE clientId = ?");
    s->bind(1, peer);
    SnapshotRead r;
    if (s->step()) {
        r.merged = s->integer(0) != 0;
        r.object_size = s->is_null(1) ? -1 : s->integer(1);
        r.object_modified = s->is_null(2) ? -1 : s->integer(2);
    }
    return r;
}

void PeerProgress::record_snapshot_read(const std::string& peer, std::int64_t last_seen, std::int64_t object_size,
                                        std::int64_t object_modified) {
    cache_
        .use("INSERT INTO _sync_state (remoteClientId, lastSeenId, lastSyncedAt) VALUES (?, ?, datetime('now')) "
             "ON CONFLICT(remoteClientId) DO UPDATE SET lastSeenId = excluded.lastSeenId, "
             "lastSyncedAt = excluded.lastSyncedAt")
        ->bind(1, peer)
        .bind(2, last_seen)
        .run();
    cache_
        .use("INSERT INTO _nas_sync_peers (clientId, merged, objectSize, objectModified) VALUES (?, 1, ?, ?) "
             "ON CONFLICT(clientId) DO UPDATE SET merged = 1, objectSize = excluded.objectSize, "
             "objectModified = excluded.objectModified")
        ->bind(1, peer)
        .bind(2, object_size)
        .bind(3, object_modified)
        .run();
}

std::optional<std::int64_t> PeerProgress::journal_read(const std::string& peer) const {
    auto s = cache_.use("SELECT segment FROM _nas_sync_journal WHERE clientId = ?");
    s->bind(1, peer);
    if (!s->step()) return std::nullopt;
    return s->integer(0);
}

std::map<std::string, std::int64_t> PeerProgress::journal_reads() const {
    std::map<std::string, std::int64_t> out;
    auto s = cache_.use("SELECT clientId, segment FROM _nas_sync_journal ORDER BY clientId");
    while (s->step()) out[s->text(0)] = s->integer(1);
    return out;
}

void PeerProgress::record_journal_read(const std::string& peer, std::int64_t segment) {
    cache_
        .use("INSERT INTO _nas_sync_journal (clientId, segment) VALUES (?, ?) "
             "ON CONFLICT(clientId) DO UPDATE SET segment = excluded.segment")
        ->bind(1, peer)
        .bind(2, segment)
        .run();
}

void PeerProgress::forget_all() {
    ++forgotten_;
    cache_.use("UPDATE _nas_sync_peers SET merged = 0")->run();
    cache_.use("DELETE FROM _nas_sync_journal")->run();
}

std::optional<std::int64_t> PeerProgress::JournalReads::of(const std::string& peer) const {
    if (progress_.forgotten_ != forgotten_) return progress_.journal_read(peer);
    const auto it = read_.find(peer);
    if (it == read_.end()) return std::nullopt;
    return it->second;
}

}  // namespace nas_sync
