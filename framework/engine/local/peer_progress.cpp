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

namespace {

// merged, objectSize, objectModified from column `first` on.
PeerProgress::SnapshotRead snapshot_read_at(Statement& s, int first) {
    PeerProgress::SnapshotRead r;
    r.merged = s.integer(first) != 0;
    r.object_size = s.is_null(first + 1) ? -1 : s.integer(first + 1);
    r.object_modified = s.is_null(first + 2) ? -1 : s.integer(first + 2);
    return r;
}

}  // namespace

PeerProgress::SnapshotRead PeerProgress::snapshot_read(const std::string& peer) const {
    auto s = cache_.use("SELECT merged, objectSize, objectModified FROM _nas_sync_peers WHERE clientId = ?");
    s->bind(1, peer);
    return s->step() ? snapshot_read_at(*s, 0) : SnapshotRead{};
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

PeerProgress::ReadAtOnce<std::optional<std::int64_t>> PeerProgress::journal_reads_at_once() const {
    std::map<std::string, std::optional<std::int64_t>> read;
    for (const auto& [peer, segment] : journal_reads()) read.emplace(peer, segment);
    return {*this, std::move(read), &PeerProgress::journal_read};
}

PeerProgress::ReadAtOnce<PeerProgress::SnapshotRead> PeerProgress::snapshot_reads_at_once() const {
    std::map<std::string, SnapshotRead> read;
    auto s = cache_.use("SELECT clientId, merged, objectSize, objectModified FROM _nas_sync_peers");
    while (s->step()) read.emplace(s->text(0), snapshot_read_at(*s, 1));
    return {*this, std::move(read), &PeerProgress::snapshot_read};
}

}  // namespace nas_sync
