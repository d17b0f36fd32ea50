#include "engine/journal/journal_publisher.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "nas_sync/error.hpp"

namespace nas_sync {
namespace fs = std::filesystem;

bool JournalPublisher::retired(const PeerJournal& journal) const {
    return std::chrono::system_clock::now() - journal.newest > ctx_.settings.journal.retire_after;
}

OwnObjects JournalPublisher::own_objects(const PeerJournal& mine) const {
    auto& state = ctx_.db.bookkeeping();
    const std::int64_t base = state.get(StateKey::journal_base_plus_one) - 1;
    if (base < 0) return OwnObjects::none_yet;
    const auto ours = mine.bases.find(base);
    return ours != mine.bases.end() && static_cast<std::int64_t>(ours->second.size) == state.get(StateKey::journal_base_size)
               ? OwnObjects::intact
               : OwnObjects::missing;
}

void JournalPublisher::publish(const std::map<std::string, PeerJournal>& journals, const WorkFolder& work,
                               SyncResult& result) {
    const auto own = journals.find(ctx_.settings.client_id);
    const PeerJournal mine = own != journals.end() ? own->second : PeerJournal{};
    remove_foreign_objects(mine, result);
    cover_unfinished_segment(mine);
    const bool torn = remove_torn_objects(mine);
    publish_segment(work, result);
    publish_base(mine, torn, work, result);
    publish_progress(mine, work, result);
    remove_read_segments(journals, work, result);
}

std::int64_t JournalPublisher::last_segment_used() const {
    auto& state = ctx_.db.bookkeeping();
    return std::max(state.get(StateKey::journal_segment), state.get(StateKey::journal_segment_used));
}

// Objects in our own folder numbered beyond any we wrote were put there by
// someone else (or planted): left there, their names would stand for ours.
void JournalPublisher::remove_foreign_objects(const PeerJournal& mine, SyncResult& result) {
    auto& state = ctx_.db.bookkeeping();
    // A database from before read numbers were recorded: its newest one on the share is its own.
    if (state.get(StateKey::journal_read_number) == 0 && state.get(StateKey::journal_segment) > 0 && !mine.reads.empty()) {
        WriteTransaction tx(ctx_.db.connection());
        state.set(StateKey::journal_read_number, mine.reads.rbegin()->first);
        tx.commit();
    }
    const std::int64_t segments = last_segment_used();
    const std::int64_t reads = state.get(StateKey::journal_read_number);
    auto remove_beyond = [&](const std::map<std::int64_t, ObjectInfo>& objects, std::int64_t last) {
        for (auto it = objects.upper_bound(last); it != objects.end(); ++it) {
            result.warnings.push_back(fmt::format("'{}' on the share is not this client's (its numbers go up to {}); "
                                                  "removed", it->second.name, last));
            try {
                ctx_.transport.remove(it->second.name);
            } catch (const Error& e) {
                if (e.code() != ErrorCode::not_found) throw;
            }
        }
    };
    remove_beyond(mine.segments, segments);
    remove_beyond(mine.bases, segments);  // a base is numbered by the last segment it covers
    remove_beyond(mine.reads, reads);
}

// A sync that failed after recording a segment number as used, before
// recording the segment: if it is on the share, peers may have read it and
// the next segment follows it; if not, readers would wait for it, so the
// number counts as ours and a base covering it is owed.
void JournalPublisher::cover_unfinished_segment(const PeerJournal& mine) {
    auto& state = ctx_.db.bookkeeping();
    const std::int64_t used = state.get(StateKey::journal_segment_used);
    if (used <= state.get(StateKey::journal_segment) || mine.segments.count(used)) return;
    WriteTransaction tx(ctx_.db.connection());
    state.set(StateKey::journal_segment, used);
    state.set(StateKey::journal_base_owed, 1);
    tx.commit();
}

void JournalPublisher::publish_segment(const WorkFolder& work, SyncResult& result) {
    auto& db = ctx_.db;
    auto& state = db.bookkeeping();
    const std::int64_t to = round_.capture_rest().changelog_id;
    const std::int64_t from = state.get(StateKey::journal_changelog_id);
    if (to <= from) return;  // nothing changed here since the last segment

    // The segment: a small database with the changed rows, their tombstones
    // and versions, written from a read transaction of ours (writers go on).
    const fs::path file = work.file("segment.sqlite");
    db.write_segment(from, to, ctx_.schema_version, file);
    // A run killed between its put and recording it left a segment we have
    // no record of. Peers may have read it, so its number is not used again
    // (it is recorded before the put); this segment repeats its changes
    // (applying a state twice changes nothing). The number never comes from
    // the share's names: a stranger's name does not move ours.
    const std::int64_t n = last_segment_used() + 1;
    if (n > max_journal_number)
        throw Error(ErrorCode::internal, fmt::format("journal segment numbers are used up ({})", max_journal_number));
    {
        WriteTransaction tx(db.connection());
        state.set(StateKey::journal_segment_used, n);
        tx.commit();
    }
    ctx_.guard.claim(work);
    ctx_.transport.put(file, journal_object_name(ctx_.settings.client_id, JournalObject::segment, n));
    const auto size = static_cast<std::int64_t>(fs::file_size(file));
    result.bytes_published += static_cast<std::uint64_t>(size);
    fs::remove(file);
    WriteTransaction tx(db.connection());
    state.set(StateKey::journal_segment, n);
    state.set(StateKey::journal_changelog_id, to);
    state.set_segment_size(n, size);
    tx.commit();
}

// An object of ours whose size on the share is not what we wrote was torn by
// the share. A segment cannot be written again as it was, so it is removed and
// a new base covers it: readers that miss it merge that base. That a base is
// owed is recorded before the removal, and cleared only once a base is out:
// a sync that fails in between leaves no trace of the segment on the share,
// and readers would otherwise wait for it for good.
bool JournalPublisher::remove_torn_objects(const PeerJournal& mine) {
    auto& db = ctx_.db;
    auto& state = db.bookkeeping();
    bool torn = state.get(StateKey::journal_base_owed) != 0;
    for (const auto& [n, object] : mine.segments) {
        const auto expected = state.segment_size(n);
        if (expected == 0 || expected == static_cast<std::int64_t>(object.size)) continue;
        if (!torn) {
            WriteTransaction tx(db.connection());
            state.set(StateKey::journal_base_owed, 1);
            tx.commit();
            torn = true;
        }
        try {
            ctx_.transport.remove(object.name);
        } catch (const Error&) {
            // still listed, so the next sync finds it torn and tries again
        }
    }
    const std::int64_t base = state.get(StateKey::journal_base_plus_one) - 1;
    const auto ours = mine.bases.find(base);
    if (ours != mine.bases.end() && static_cast<std::int64_t>(ours->second.size) != state.get(StateKey::journal_base_size))
        torn = true;
    return torn;
}

void JournalPublisher::publish_base(const PeerJournal& mine, bool force, const WorkFolder& work, SyncResult& result) {
    auto& db = ctx_.db;
    auto& state = db.bookkeeping();
    const std::int64_t segment = state.get(StateKey::journal_segment);
    const std::int64_t base = state.get(StateKey::journal_base_plus_one) - 1;  // -1: none yet
    const bool due = force || base < 0 || segment - base >= ctx_.settings.journal.base_every || !mine.bases.count(base);
    if (!due) return;
    const fs::path file = work.file("base.sqlite");
    db.write_copy(file);
    ctx_.guard.claim(work);
    ctx_.transport.put(file, journal_object_name(ctx_.settings.client_id, JournalObject::base, segment));
    const auto size = static_cast<std::int64_t>(fs::file_size(file));
    result.bytes_published += static_cast<std::uint64_t>(size);
    fs::remove(file);
    {
        WriteTransaction tx(db.connection());
        state.set(StateKey::journal_base_plus_one, segment + 1);
        state.set(StateKey::journal_base_size, size);
        state.clear(StateKey::journal_base_owed);
        tx.commit();
    }
    remove_own(mine.bases, segment - 1);
}

void JournalPublisher::remove_own(const std::map<std::int64_t, ObjectInfo>& objects, std::int64_t last,
                                  const std::function<void(std::int64_t)>& removed) {
    for (const auto& [n, object] : objects) {
        if (n > last) break;
        try {
            ctx_.transport.remove(object.name);
            if (removed) removed(n);
        } catch (const Error&) {
            // already gone, or the share refused: a later sync tries again
        }
    }
}

void JournalPublisher::publish_progress(const PeerJournal& mine, const WorkFolder& work, SyncResult& result) {
    auto& db = ctx_.db;
    const std::string text = format_read_progress(db.peers().journal_reads());
    const auto digest = static_cast<std::int64_t>(std::hash<std::string>{}(text) >> 1);
    if (text.empty() || (!mine.reads.empty() && db.bookkeeping().get(StateKey::journal_read_digest) == digest)) return;
    const std::int64_t k = db.bookkeeping().get(StateKey::journal_read_number) + 1;
    const fs::path file = work.file("read.txt");
    std::ofstream(file) << text;
    ctx_.guard.claim(work);
    ctx_.transport.put(file, journal_object_name(ctx_.settings.client_id, JournalObject::read, k));
    result.bytes_published += text.size();
    WriteTransaction tx(db.connection());
    db.bookkeeping().set(StateKey::journal_read_digest, digest);
    db.bookkeeping().set(StateKey::journal_read_number, k);
    tx.commit();
    remove_own(mine.reads, k - 1);
}

void JournalPublisher::remove_read_segments(const std::map<std::string, PeerJournal>& journals, const WorkFolder& work,
                                            SyncResult& result) {
    const auto& me = ctx_.settings.client_id;
    const auto own = journals.find(me);
    if (own == journals.end()) return;
    auto& state = ctx_.db.bookkeeping();
    const std::int64_t base = state.get(StateKey::journal_base_plus_one) - 1;
    if (own->second.segments.empty() || own->second.segments.begin()->first > base) return;  // nothing a base covers
    const std::int64_t first_segment = own->second.segments.begin()->first;
    std::int64_t everyone_read = base;
    for (const auto& [peer, journal] : journals) {
        if (peer == me || retired(journal)) continue;
        if (journal.reads.empty()) return;  // it has not read us yet
        const ObjectInfo& newest = journal.reads.rbegin()->second;
        auto known = read_of_us_.find(peer);
        if (known == read_of_us_.end() || known->second.name != newest.name || known->second.size != newest.size ||
            known->second.modified != newest.modified) {
            const fs::path file = work.file("read-" + peer + ".txt");
            if (!round_.fetch(peer, newest, file, result, SyncRound::Expect::progress)) return;
            std::ifstream in(file);
            const auto progress = parse_read_progress(std::string(std::istreambuf_iterator<char>(in), {}));
            const auto it = progress.find(me);
            known = read_of_us_.insert_or_assign(peer, ReadOfUs{newest.name, newest.size, newest.modified,
                                                                it == progress.end() ? 0 : it->second})
                        .first;
        }
        everyone_read = std::min(everyone_read, known->second.segment);
        if (everyone_read < first_segment) return;  // this one has not read what could go: nothing to remove
    }
    remove_own(own->second.segments, everyone_read, [&](std::int64_t segment) { state.clear_segment_size(segment); });
}

}  // namespace nas_sync
