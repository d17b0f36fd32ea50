#include "engine/snapshot/snapshot_layout.hpp"

#include <fmt/format.h>

#include <fstream>

#include "engine/peer/peer_database.hpp"
#include "engine/snapshot/sequence_note.hpp"
#include "engine/versions/versions.hpp"
#include "nas_sync/error.hpp"
#include "nas_sync/pipeline.hpp"

namespace nas_sync {
namespace fs = std::filesystem;

std::string snapshot_object_name(const std::string& client_id) { return "client-" + client_id + ".sqlite"; }

std::string client_of_snapshot_object(const std::string& object_name) {
    constexpr std::string_view head = "client-", tail = ".sqlite";
    if (object_name.size() <= head.size() + tail.size() || !object_name.starts_with(head) ||
        !object_name.ends_with(tail))
        return "";
    const std::string id = object_name.substr(head.size(), object_name.size() - head.size() - tail.size());
    return is_valid_client_id(id) ? id : "";
}

void SnapshotLayout::pull(const std::string& peer, const PeerProgress::SnapshotRead& read, const ObjectInfo& object,
                          const WorkFolder& work, SyncResult& result) {
    const bool all_read = read_copy(peer, read, object, work, result);
    result.peers.push_back({peer, object.modified, all_read ? 0 : 1});
}

bool SnapshotLayout::read_copy(const std::string& peer, const PeerProgress::SnapshotRead& read,
                               const ObjectInfo& object, const WorkFolder& work, SyncResult& result) {
    auto& progress = ctx_.db.peers();
    const std::int64_t size = static_cast<std::int64_t>(object.size);
    const std::int64_t modified = to_ms(object.modified);
    if (read.merged && read.object_size == size && read.object_modified == modified) {
        ++result.clients_synced;  // unchanged since we last read it
        return true;
    }
    if (read.merged && holds_nothing_unread(peer, progress.last_seen_id(peer), result.warnings)) {
        // Changed only by what the peer merged from others: nothing of its own to read.
        WriteTransaction tx(ctx_.db.connection());
        progress.record_snapshot_read(peer, progress.last_seen_id(peer), size, modified);
        tx.commit();
        ++result.clients_synced;
        return true;
    }
    const fs::path copy = work.file("peer-" + peer + ".sqlite");
    bool merged = false;
    try {
        if (round_.fetch(peer, object, copy, result)) {
            const PeerDatabase database(copy);
            if (round_.usable(peer, database, result)) {
                const auto range = database.changelog_range();
                const std::int64_t last_seen = progress.last_seen_id(peer);
                // Once merged, a changed copy is merged whole when ids the peer
                // logged after what we read are no longer in its log (pruned),
                // or when its log is behind what we read (a restored database).
                // Its AUTOINCREMENT sequence tells an empty log that pruned
                // rows (a gap the original misses when it had read nothing)
                // from one that has logged nothing new: a copy changed only by
                // what the peer merged is not read again.
                const bool logged_more = range.last_id > last_seen;
                const bool gap = read.merged &&
                                 (range.last_id < last_seen ||
                                  (logged_more && (range.count == 0 || range.min_id > last_seen + 1 || range.max_id <= last_seen)));
                if (gap) {
                    result.had_changelog_gap = true;
                    result.warnings.push_back(fmt::format(
                        "peer '{}': its change log no longer reaches back to what we read; merging its whole state", peer));
                }
                merge_.take_newest_remote_ms();  // what follows is this peer's
                merge_.merge(peer, database, (!read.merged || gap) ? std::nullopt : std::optional(last_seen), result,
                             [&] { progress.record_snapshot_read(peer, range.last_id, size, modified); });
                round_.check_peer_clock(peer, merge_.take_newest_remote_ms(), object.modified, result);
                round_.report_skipped_keys(peer, database, result);
                ++result.clients_synced;
                merged = true;
            }
        }
    } catch (const Error& e) {
        // A copy that is not a database we can read is not fetched again until it changes.
        if (e.code() == ErrorCode::corrupt)
            round_.refuse(peer, object, e.what(), result);
        else
            result.warnings.push_back(fmt::format("peer '{}' skipped this round: {}", peer, e.what()));
    }
    std::error_code ec;
    fs::remove(copy, ec);
    return merged;
}

bool SnapshotLayout::holds_nothing_unread(const std::string& peer, std::int64_t last_seen,
                                          std::vector<std::string>& warnings) {
    const std::string name = sequence_note_name(peer);
    std::string text;
    try {
        text = ctx_.transport.read_first_bytes(name, max_sequence_note_bytes + 1);
    } catch (const Error& e) {
        // None (an older client, or being replaced), or unreadable: the copy is fetched, as without notes.
        if (e.code() != ErrorCode::not_found)
            warnings.push_back(fmt::format("peer '{}': '{}' cannot be read ({}); its copy is fetched", peer, name, e.what()));
        return false;
    }
    std::string problem;
    const auto note = parse_sequence_note(text, problem);
    if (!note) {
        warnings.push_back(fmt::format("peer '{}': '{}' is not a sequence note ({}); its copy is fetched", peer, name, problem));
        return false;
    }
    // Equal only: a sequence below what we read is a restored database, which is merged whole.
    return note->changelog_seq == last_seen && note->schema_version == ctx_.schema_version;
}

void SnapshotLayout::publish(SyncResult& result, std::optional<std::uint64_t> own_size, const WorkFolder& work) {
    auto& db = ctx_.db;
    auto& state = db.bookkeeping();
    const bool own_changes = db.changes().max_changelog_id() != state.get(StateKey::published_changelog_id) ||
                             state.get(StateKey::publish_owed) != 0;
    const bool merged = state.get(StateKey::applied_seq) != state.get(StateKey::published_applied_seq);
    // Our object must be on the share as we wrote it (not missing, not torn).
    const bool intact = own_size && static_cast<std::int64_t>(*own_size) == state.get(StateKey::published_size);
    if (intact && !own_changes) {
        if (!merged) return;  // idle: nothing new to publish
        // Only merged states: readers do not fetch such a copy (its sequence
        // note says so), so it is put at a bounded rate, for new clients and
        // for when a peer leaves for good.
        const auto since = now_ms() - state.get(StateKey::published_ms);
        if (since >= 0 && since < ctx_.settings.merged_publish_every.count()) return;
    }
    const auto covered = round_.capture_rest();
    const fs::path copy = work.file("publish.sqlite");
    db.write_copy(copy);
    // The note first, with the copy's own sequence (the application may have
    // logged more since the capture): a note is never behind its copy.
    const fs::path note = work.file("publish.seq");
    const std::int64_t seq = PeerDatabase(copy).changelog_range().last_id;
    std::ofstream(note, std::ios::binary) << format_sequence_note({seq, ctx_.schema_version});
    ctx_.guard.claim(work);
    ctx_.transport.put(note, sequence_note_name(ctx_.settings.client_id));
    ctx_.transport.put(copy, snapshot_object_name(ctx_.settings.client_id));
    const auto size = fs::file_size(copy);
    result.bytes_published += size + fs::file_size(note);
    WriteTransaction tx(db.connection());
    state.set(StateKey::published_size, static_cast<std::int64_t>(size));
    state.set(StateKey::published_changelog_id, covered.changelog_id);
    state.set(StateKey::published_sequence, seq);
    state.set(StateKey::published_applied_seq, covered.applied_seq);
    state.set(StateKey::published_ms, now_ms());
    state.clear(StateKey::publish_owed);
    tx.commit();
}

OwnObjects SnapshotLayout::own_objects(std::optional<std::uint64_t> own_size) {
    const std::int64_t published = ctx_.db.bookkeeping().get(StateKey::published_size);
    if (published == 0) return OwnObjects::none_yet;
    return own_size && static_cast<std::int64_t>(*own_size) == published ? OwnObjects::intact : OwnObjects::missing;
}

PeerStatus SnapshotLayout::peer_status(const std::string& peer, const ObjectInfo& object, const WorkFolder& work,
                                       std::vector<std::string>& warnings) {
    auto& progress = ctx_.db.peers();
    PeerStatus p;
    p.client = peer;
    p.last_publish = object.modified;
    p.object_size = object.size;
    p.never_read = !progress.snapshot_read(peer).merged;
    const fs::path copy = work.file("peer-" + peer + ".sqlite");
    try {
        if (!p.never_read && holds_nothing_unread(peer, progress.last_seen_id(peer), warnings)) {
            p.schema_version = ctx_.schema_version;  // the note's, equal to ours
            return p;                                // nothing unread: its copy is not fetched
        }
        ctx_.transport.get(object.name, copy);
        const PeerDatabase database(copy);
        p.schema_version = database.schema_version();
        p.schema_mismatch = p.schema_version != ctx_.schema_version;
        p.unread_changes = static_cast<std::int64_t>(database.changed_keys(progress.last_seen_id(peer)).size());
    } catch (const Error& e) {
        warnings.push_back(fmt::format("peer '{}': {}", peer, e.what()));
    }
    std::error_code ec;
    fs::remove(copy, ec);
    return p;
}

}  // namespace nas_sync
