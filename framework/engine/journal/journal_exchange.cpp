#include "engine/journal/journal_exchange.hpp"

#include <fmt/format.h>

#include "engine/journal/base_merge.hpp"
#include "engine/peer/peer_database.hpp"
#include "engine/fleet/report_publisher.hpp"
#include "engine/peer/work_folder.hpp"
#include "engine/versions/versions.hpp"
#include "nas_sync/error.hpp"

namespace nas_sync {
namespace fs = std::filesystem;

namespace {

// The highest number of a peer's segments and bases.
std::int64_t newest_number(const PeerJournal& journal) {
    return std::max(journal.segments.empty() ? 0 : journal.segments.rbegin()->first,
                    journal.bases.empty() ? 0 : journal.bases.rbegin()->first);
}

// What of a peer's journal is after segment `read`: its segments, or its
// newest base when the segments it covers are gone. A journal that went back
// below `read` (restored) is all unread until its base is merged.
std::int64_t unread_objects(const PeerJournal& journal, std::int64_t read) {
    if (read > newest_number(journal)) read = 0;
    const auto segments = std::distance(journal.segments.upper_bound(read), journal.segments.end());
    if (segments == 0 && !journal.bases.empty() && journal.bases.rbegin()->first > read) return 1;
    return segments;
}

}  // namespace

SyncResult JournalExchange::sync() {
    SyncResult result;
    const auto& me = ctx_.settings.client_id;
    auto& db = ctx_.db;
    round_.begin();
    const auto journals = list_journals(ctx_.transport, result.warnings);
    const auto client_objects = ctx_.transport.list("client-");
    WorkFolder work(me);
    const auto own = journals.find(me);
    ctx_.guard.check(client_objects, publisher_.own_objects(own != journals.end() ? own->second : PeerJournal{}), work);
    round_.check_clocks(result);
    const auto journal_reads = db.peers().journal_reads_at_once();
    for (const auto& [peer, journal] : journals)
        if (peer != me && publishes_journal(journal)) {
            const std::int64_t read = pull(peer, journal, journal_reads.of(peer), work, result);
            result.peers.push_back({peer, journal.newest, unread_objects(journal, read)});
        }

    // Peers that publish only snapshots: the original's clients, snapshot-layout nas-sync.
    std::optional<std::uint64_t> own_snapshot_size;
    // Read at the first snapshot-only peer: a fleet of journal peers only makes no query for them.
    std::optional<PeerProgress::ReadAtOnce<PeerProgress::SnapshotRead>> snapshot_reads;
    for (const auto& object : client_objects) {
        const std::string peer = client_of_snapshot_object(object.name);
        const auto journal = journals.find(peer);
        if (peer.empty() || (journal != journals.end() && publishes_journal(journal->second))) continue;
        if (peer == me)
            own_snapshot_size = object.size;
        else {
            if (!snapshot_reads) snapshot_reads.emplace(db.peers().snapshot_reads_at_once());
            snapshots_.pull(peer, snapshot_reads->of(peer), object, work, result);
        }
    }

    round_.write_heartbeat();
    publisher_.publish(journals, work, result);
    const auto every = ctx_.settings.journal.snapshot_every;
    if (every.count() > 0 && now_ms() - db.bookkeeping().get(StateKey::journal_snapshot_ms) >= every.count()) {
        snapshots_.publish(result, own_snapshot_size, work);
        WriteTransaction tx(db.connection());
        db.bookkeeping().set(StateKey::journal_snapshot_ms, now_ms());
        tx.commit();
    }
    publish_digest_report(ctx_, "journal", work, result);
    round_.end(db.bookkeeping().get(StateKey::journal_changelog_id), result.warnings);
    ctx_.guard.finish();
    return result;
}

bool JournalExchange::apply_segment(const std::string& peer, const ObjectInfo& object, std::int64_t upto,
                                    const WorkFolder& work, SyncResult& result) {
    const fs::path copy = work.file("journal-" + peer + ".sqlite");
    bool applied = false;
    try {
        if (round_.fetch(peer, object, copy, result)) {
            const PeerDatabase segment(copy);
            if (round_.usable(peer, segment, result)) {
                merge_.merge(peer, segment, std::nullopt, result,
                             [&] { ctx_.db.peers().record_journal_read(peer, upto); });
                round_.report_skipped_keys(peer, segment, result);
                applied = true;
            }
        }
    } catch (const Error& e) {
        // A segment that is not a database we can read is not fetched again until it changes.
        if (e.code() != ErrorCode::corrupt) throw;
        round_.refuse(peer, object, e.what(), result);
    }
    std::error_code ec;
    fs::remove(copy, ec);
    return applied;
}

// `progress`: the segment we read last from the peer; nothing: never read.
std::int64_t JournalExchange::pull(const std::string& peer, const PeerJournal& journal,
                                   std::optional<std::int64_t> progress, const WorkFolder& work, SyncResult& result) {
    std::int64_t read = progress.value_or(0);
    const std::int64_t newest = newest_number(journal);
    // Numbered below what we read: the peer's journal went back (restored, or
    // names planted ahead of it removed). Its newest base starts us again.
    const bool went_back = progress && *progress > newest;
    if (went_back)
        result.warnings.push_back(fmt::format("peer '{}': its journal goes up to {}, below the {} we read; merging its "
                                              "newest base", peer, newest, *progress));
    // Start from the newest base on first contact, and when the next segment
    // we need is gone (the peer removed it after a base that covers it).
    const bool next_gone = went_back || (!journal.segments.count(read + 1) && !journal.bases.empty() &&
                                         journal.bases.rbegin()->first > read);
    // A first contact starts from a base: rows from before sync was set up are
    // only there. A peer that has none yet is read once it has.
    if (!progress && journal.bases.empty()) {
        result.warnings.push_back(fmt::format(
            "peer '{}' has published journal segments but no base yet; it is read once it has one", peer));
        return read;
    }
    merge_.take_newest_remote_ms();  // what follows is this peer's
    try {
        if ((!progress || next_gone) && !journal.bases.empty()) {
            if (progress) result.had_changelog_gap = true;
            if (progress && !went_back)
                result.warnings.push_back(fmt::format(
                    "peer '{}': the journal segments after {} are gone; merging its base snapshot", peer, read));
            const auto merged = merge_base_and_segments(ctx_, round_, merge_, peer, journal, work, result);
            if (!merged) return read;
            read = *merged;
        }
        bool read_all = true;  // false: a segment cannot be used now (reported); the rest next round
        for (auto it = journal.segments.find(read + 1); it != journal.segments.end() && it->first == read + 1; ++it) {
            if (!apply_segment(peer, it->second, it->first, work, result)) {
                read_all = false;
                break;
            }
            read = it->first;
        }
        round_.check_peer_clock(peer, merge_.take_newest_remote_ms(), journal.newest, result);
        if (read_all) ++result.clients_synced;
    } catch (const Error& e) {
        result.warnings.push_back(fmt::format("peer '{}' skipped this round: {}", peer, e.what()));
    }
    return read;
}

Status JournalExchange::status() {
    Status status = round_.status_of_this_client(ctx_.db.bookkeeping().get(StateKey::journal_changelog_id));
    for (const auto& [peer, journal] : list_journals(ctx_.transport, status.warnings)) {
        if (peer == ctx_.settings.client_id || !publishes_journal(journal)) continue;
        PeerStatus p;
        p.client = peer;
        p.last_publish = journal.newest;
        const auto progress = ctx_.db.peers().journal_read(peer);
        p.never_read = !progress;
        for (const auto& [segment, object] : journal.segments)
            if (segment > progress.value_or(0)) {
                ++p.unread_changes;
                p.object_size += object.size;
            }
        p.retired = publisher_.retired(journal);
        status.peers.push_back(std::move(p));
    }
    for (auto& warning : ctx_.transport.take_warnings()) status.warnings.push_back(std::move(warning));
    return status;
}

}  // namespace nas_sync
