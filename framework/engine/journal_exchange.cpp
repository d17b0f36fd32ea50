#include "engine/journal_exchange.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>

#include "database/schema.hpp"
#include "database/statement.hpp"
#include "engine/peer_snapshot.hpp"
#include "engine/work_folder.hpp"
#include "nas_sync/error.hpp"

namespace nas_sync {
namespace fs = std::filesystem;

namespace {

std::string journal_object(const std::string& client, const char* kind, std::int64_t n) {
    return fmt::format("journal/{}/{}-{:012}.{}", client, kind, n, std::string(kind) == "read" ? "txt" : "sqlite");
}

std::map<std::string, JournalExchange::PeerJournal> list_journals(Transport& transport) {
    static const std::regex pattern("journal/([^/]+)/(seg|base|read)-([0-9]{12})\\.(sqlite|txt)");
    std::map<std::string, JournalExchange::PeerJournal> out;
    for (const auto& object : transport.list("journal/")) {
        std::smatch m;
        if (!std::regex_match(object.name, m, pattern) || !is_valid_client_id(m[1].str())) continue;
        auto& journal = out[m[1].str()];
        const std::int64_t n = std::stoll(m[3].str());
        const std::string kind = m[2].str();
        (kind == "seg" ? journal.segments : kind == "base" ? journal.bases : journal.reads)[n] = object;
        journal.newest = std::max(journal.newest, object.modified);
    }
    return out;
}

// "<peer> <segment>" per line.
std::map<std::string, std::int64_t> parse_progress(const std::string& text) {
    std::map<std::string, std::int64_t> out;
    std::istringstream in(text);
    std::string peer;
    std::int64_t segment = 0;
    while (in >> peer >> segment)
        if (is_valid_client_id(peer)) out[peer] = segment;
    return out;
}

}  // namespace

bool JournalExchange::retired(const PeerJournal& journal) const {
    return std::chrono::system_clock::now() - journal.newest > ctx_.pipeline.config().journal.retire_after;
}

SyncResult JournalExchange::sync() {
    const auto started = std::chrono::steady_clock::now();
    SyncResult result;
    const auto& config = ctx_.pipeline.config();
    auto& transport = ctx_.pipeline.transport();
    auto& db = ctx_.db;
    snapshot_.begin_round();
    const auto journals = list_journals(transport);
    WorkFolder work(config.client_id);
    for (const auto& [peer, journal] : journals)
        if (peer != config.client_id) pull(peer, journal, work, result);

    // Peers that publish only snapshots: the original's clients, snapshot-layout nas-sync.
    std::optional<std::uint64_t> own_snapshot_size;
    for (const auto& object : transport.list("client-")) {
        const std::string peer = client_of_snapshot_object(object.name);
        if (peer.empty() || journals.count(peer)) continue;
        if (peer == config.client_id)
            own_snapshot_size = object.size;
        else
            snapshot_.pull_snapshot_peer(peer, object, work, result);
    }

    snapshot_.write_heartbeat();
    const auto own = journals.find(config.client_id);
    const PeerJournal mine = own != journals.end() ? own->second : PeerJournal{};
    const bool torn = remove_torn_objects(mine);
    publish_segment(mine, work, result);
    publish_base(mine, torn, work, result);
    publish_progress(mine, work, result);
    remove_read_segments(journals, work, result);
    const auto every = config.journal.snapshot_every;
    if (every.count() > 0 && now_ms() - db.state_value("journal_snapshot_ms") >= every.count()) {
        snapshot_.publish(result, own_snapshot_size, work);
        LocalDatabase::Transaction tx(db);
        db.set_state_value("journal_snapshot_ms", now_ms());
        tx.commit();
    }
    snapshot_.end_round(db.state_value("journal_changelog_id"));
    result.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    return result;
}

void JournalExchange::pull(const std::string& peer, const PeerJournal& journal, const WorkFolder& work,
                           SyncResult& result) {
    auto& db = ctx_.db;
    const auto progress = db.journal_progress(peer);
    std::int64_t read = progress.value_or(0);
    // Start from the newest base on first contact, and when the next segment
    // we need is gone (the peer removed it after a base that covers it).
    const bool next_gone = !journal.segments.count(read + 1) && !journal.bases.empty() &&
                           journal.bases.rbegin()->first > read;
    // Applies one segment of the peer and records `upto` as read in the same
    // last transaction. False when it cannot be used now.
    auto apply = [&](const ObjectInfo& object, std::int64_t upto) {
        const fs::path copy = work.file("journal-" + peer + ".sqlite");
        bool applied = false;
        if (snapshot_.fetch(peer, object.name, copy, result)) {
            const PeerSnapshot snapshot(copy);
            if (snapshot_.usable(peer, snapshot, result)) {
                snapshot_.merge_peer(peer, snapshot, std::nullopt, result,
                                     [&] { db.set_journal_progress(peer, upto); });
                applied = true;
            }
        }
        std::error_code ec;
        fs::remove(copy, ec);
        return applied;
    };
    // A first contact starts from a base: rows from before sync was set up are
    // only there. A peer that has none yet is read once it has.
    if (!progress && journal.bases.empty()) return;
    try {
        if ((!progress || next_gone) && !journal.bases.empty()) {
            if (progress) {
                result.had_changelog_gap = true;
                result.warnings.push_back(fmt::format(
                    "peer '{}': the journal segments after {} are gone; merging its base snapshot", peer, read));
            }
            const auto merged = merge_base(peer, journal, work, result);
            if (!merged) return;
            read = *merged;
        }
        for (auto it = journal.segments.find(read + 1); it != journal.segments.end() && it->first == read + 1; ++it) {
            if (!apply(it->second, it->first)) return;
            read = it->first;
        }
        ++result.clients_synced;
    } catch (const Error& e) {
        result.warnings.push_back(fmt::format("peer '{}' skipped this round: {}", peer, e.what()));
    }
}

namespace {

// Which segment holds each key's newest state (later segments win), sorted by
// key: the base's rows come in key order, so finding each of them here is a
// step forward rather than a hash lookup; a key out of order is searched for.
class NewestInSegments {
public:
    NewestInSegments(const std::vector<std::unique_ptr<PeerSnapshot>>& segments, const TableInfo& table) {
        for (std::size_t i = 0; i < segments.size(); ++i)
            segments[i]->for_each_key(table, [&](std::string key) { keys_.push_back({std::move(key), i, false}); });
        // Stable: of a key's entries, the last is from the newest segment; only it stays.
        std::stable_sort(keys_.begin(), keys_.end(), [](const Entry& a, const Entry& b) { return a.key < b.key; });
        std::size_t kept = 0;
        for (std::size_t i = 0; i < keys_.size(); ++i) {
            if (kept > 0 && keys_[kept - 1].key == keys_[i].key)
                keys_[kept - 1].segment = keys_[i].segment;
            else if (kept++ != i)
                keys_[kept - 1] = std::move(keys_[i]);
        }
        keys_.resize(kept);
    }

    // The segment with the key's newest state, once: nothing when no segment
    // has the key, or it was taken before.
    std::optional<std::size_t> take(const std::string& key) {
        while (next_ < keys_.size() && keys_[next_].key < key) ++next_;
        auto at = keys_.begin() + static_cast<std::ptrdiff_t>(next_);
        if (at == keys_.end() || at->key != key)
            at = std::lower_bound(keys_.begin(), keys_.end(), key, [](const Entry& e, const std::string& k) { return e.key < k; });
        if (at == keys_.end() || at->key != key || at->taken) return std::nullopt;
        at->taken = true;
        return at->segment;
    }

    // The keys not taken, in key order, with their segment.
    void for_each_left(const std::function<void(const std::string&, std::size_t)>& visit) const {
        for (const auto& e : keys_)
            if (!e.taken) visit(e.key, e.segment);
    }

private:
    struct Entry {
        std::string key;
        std::size_t segment;
        bool taken;
    };
    std::vector<Entry> keys_;
    std::size_t next_ = 0;  // the keys before it sort before the last key looked up
};

}  // namespace

// The newest base merged in one pass with the segments that follow it: a key
// the segments changed is applied once, in its newest state, instead of
// being inserted from the base and then updated again per segment. Only the
// segments' keys are held in memory (which segment has each key's newest
// state), and only for segments within first_contact_segment_bytes; later
// ones are applied one by one afterwards. The number of the last object
// merged, or nothing when the base cannot be used now.
std::optional<std::int64_t> JournalExchange::merge_base(const std::string& peer, const PeerJournal& journal,
                                                        const WorkFolder& work, SyncResult& result) {
    const auto& [base_number, base_object] = *journal.bases.rbegin();
    std::vector<fs::path> copies;
    struct RemoveCopies {
        std::vector<fs::path>& files;
        ~RemoveCopies() {
            std::error_code ec;
            for (const auto& f : files) fs::remove(f, ec);
        }
    } remove_copies{copies};
    copies.push_back(work.file("journal-" + peer + ".sqlite"));
    if (!snapshot_.fetch(peer, base_object.name, copies.back(), result)) return std::nullopt;
    const PeerSnapshot base(copies.back());
    if (!snapshot_.usable(peer, base, result)) return std::nullopt;

    // The segments after the base, in order, while each can be read now; one
    // that cannot is left to the one-by-one path, which reports why.
    std::vector<std::unique_ptr<PeerSnapshot>> segments;
    std::int64_t last = base_number;
    std::uint64_t bytes = 0;
    for (auto it = journal.segments.find(last + 1); it != journal.segments.end() && it->first == last + 1; ++it) {
        bytes += it->second.size;
        if (bytes > first_contact_segment_bytes) break;
        copies.push_back(work.file(fmt::format("journal-{}-{}.sqlite", peer, it->first)));
        try {
            SyncResult not_reported;
            if (!snapshot_.fetch(peer, it->second.name, copies.back(), not_reported)) break;
            // Read in key order, and many are open at once: a small cache each.
            auto segment = std::make_unique<PeerSnapshot>(copies.back(), 2048);
            if (!snapshot_.usable(peer, *segment, not_reported)) break;
            result.bytes_fetched += not_reported.bytes_fetched;
            segments.push_back(std::move(segment));
        } catch (const Error&) {
            break;
        }
        last = it->first;
    }

    const auto& tables = ctx_.db.tables();
    auto records = [&](ReadAhead::Sink& emit) {
        for (const auto& table : tables) {
            NewestInSegments newest(segments, table);
            auto visit = [&](std::string& key, RecordState& state) {
                const auto segment = newest.take(key);
                if (!segment) return emit(emit.take(table, key, state));
                emit({&table, key, segments[*segment]->state(table, key)});
            };
            base.for_each_row(table, visit);
            base.for_each_deletion(table, visit);
            // Keys the base does not have, in key order (our table is written in order).
            newest.for_each_left(
                [&](const std::string& key, std::size_t segment) { emit({&table, key, segments[segment]->state(table, key)}); });
        }
    };
    snapshot_.apply_records(peer, records, result, [&] { ctx_.db.set_journal_progress(peer, last); });
    return last;
}

void JournalExchange::publish_segment(const PeerJournal& mine, const WorkFolder& work, SyncResult& result) {
    auto& db = ctx_.db;
    std::int64_t to = 0;
    snapshot_.capture_changes();  // what the application wrote during this sync, then the rest under the lock
    {
        LocalDatabase::Transaction tx(db);
        db.capture();
        to = db.max_changelog_id();
        tx.commit();
    }
    const std::int64_t from = db.state_value("journal_changelog_id");
    if (to <= from) return;  // nothing changed here since the last segment

    // The segment: a small database with the changed rows, their tombstones
    // and versions, written from a read transaction of ours (writers go on).
    const fs::path file = work.file("segment.sqlite");
    fs::remove(file);
    sqlite3* h = db.handle();
    Statement attach(h, "ATTACH DATABASE ? AS segment");
    attach.bind(1, file.string()).run();
    try {
        // Small pages keep a small segment small; with many changes, 4 KiB
        // pages make it smaller (less overhead per page) and quicker to build.
        exec(h, fmt::format("PRAGMA segment.page_size = {}", to - from >= large_segment_changes ? 4096 : 1024));
        // A local scratch file: the transport's put() flushes what reaches the
        // share, and a failed build is thrown away.
        exec(h, "PRAGMA segment.journal_mode = OFF; PRAGMA segment.synchronous = OFF");
        exec(h, "BEGIN");
        exec(h, "CREATE TEMP TABLE IF NOT EXISTS _nas_sync_segment_keys (tableName TEXT, recordId TEXT, "
                "PRIMARY KEY (tableName, recordId)); DELETE FROM temp._nas_sync_segment_keys;");
        Statement keys(h, "INSERT OR IGNORE INTO temp._nas_sync_segment_keys "
                          "SELECT tableName, recordId FROM main._changelog WHERE id > ? AND id <= ?");
        keys.bind(1, from).bind(2, to).run();
        exec(h, "CREATE TABLE segment._sync_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                "CREATE TABLE segment._tombstone (tableName TEXT NOT NULL, recordId TEXT NOT NULL, deletedAt TEXT NOT NULL, "
                "PRIMARY KEY (tableName, recordId));"
                "CREATE TABLE segment._nas_sync_versions (tableName TEXT NOT NULL, recordId TEXT NOT NULL, "
                "time INTEGER NOT NULL, deleted INTEGER NOT NULL, hash INTEGER NOT NULL, PRIMARY KEY (tableName, recordId));"
                // CROSS JOIN: one lookup per changed key. Left to the planner, a
                // table of keys without statistics was scanned against ours.
                "INSERT INTO segment._tombstone SELECT t.tableName, t.recordId, t.deletedAt "
                "FROM temp._nas_sync_segment_keys AS k CROSS JOIN main._tombstone AS t "
                "ON t.tableName = k.tableName AND t.recordId = k.recordId;"
                "INSERT INTO segment._nas_sync_versions SELECT v.tableName, v.recordId, v.time, v.deleted, v.hash "
                "FROM temp._nas_sync_segment_keys AS k CROSS JOIN main._nas_sync_versions AS v "
                "ON v.tableName = k.tableName AND v.recordId = k.recordId;");
        Statement meta(h, "INSERT INTO segment._sync_meta VALUES ('schemaVersion', ?)");
        meta.bind(1, ctx_.schema_version).run();
        for (const auto& table : db.tables()) {
            const std::string t = quote_identifier(table.name), pk = quote_identifier(table.primary_key);
            exec(h, fmt::format("CREATE TABLE segment.{0} AS SELECT * FROM main.{0} WHERE 0;"
                                "CREATE INDEX segment.{1} ON {0} ({2});",
                                t, quote_identifier("_nas_sync_key_" + table.name), pk));
            Statement rows(h, fmt::format("INSERT INTO segment.{0} SELECT t.* FROM temp._nas_sync_segment_keys AS k "
                                          "CROSS JOIN main.{0} AS t ON k.tableName = ? AND t.{1} = k.recordId",
                                          t, pk));
            rows.bind(1, table.name).run();
        }
        exec(h, "COMMIT");
    } catch (...) {
        sqlite3_exec(h, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_exec(h, "DETACH DATABASE segment", nullptr, nullptr, nullptr);
        throw;
    }
    exec(h, "DETACH DATABASE segment");
    // A run killed between its put and recording it left a segment we have
    // no record of. Peers may have read it, so its number is not used again;
    // this segment repeats its changes (applying a state twice changes nothing).
    const std::int64_t last_listed = mine.segments.empty() ? 0 : mine.segments.rbegin()->first;
    const std::int64_t n = std::max(db.state_value("journal_segment"), last_listed) + 1;
    ctx_.pipeline.transport().put(file, journal_object(ctx_.pipeline.config().client_id, "seg", n));
    const auto size = static_cast<std::int64_t>(fs::file_size(file));
    result.bytes_published += static_cast<std::uint64_t>(size);
    fs::remove(file);
    LocalDatabase::Transaction tx(db);
    db.set_state_value("journal_segment", n);
    db.set_state_value("journal_changelog_id", to);
    db.set_state_value(fmt::format("journal_size:{}", n), size);
    tx.commit();
}

// An object of ours whose size on the share is not what we wrote was torn by
// the share. A segment cannot be written again as it was, so it is removed and
// a new base covers it: readers that miss it merge that base. That a base is
// owed is recorded before the removal, and cleared only once a base is out:
// a sync that fails in between leaves no trace of the segment on the share,
// and readers would otherwise wait for it for good.
bool JournalExchange::remove_torn_objects(const PeerJournal& mine) {
    auto& db = ctx_.db;
    bool torn = db.state_value("journal_base_owed") != 0;
    for (const auto& [n, object] : mine.segments) {
        const auto expected = db.state_value(fmt::format("journal_size:{}", n));
        if (expected == 0 || expected == static_cast<std::int64_t>(object.size)) continue;
        if (!torn) {
            LocalDatabase::Transaction tx(db);
            db.set_state_value("journal_base_owed", 1);
            tx.commit();
            torn = true;
        }
        try {
            ctx_.pipeline.transport().remove(object.name);
        } catch (const Error&) {
            // still listed, so the next sync finds it torn and tries again
        }
    }
    const std::int64_t base = db.state_value("journal_base_plus_one") - 1;
    const auto ours = mine.bases.find(base);
    if (ours != mine.bases.end() && static_cast<std::int64_t>(ours->second.size) != db.state_value("journal_base_size"))
        torn = true;
    return torn;
}

void JournalExchange::publish_base(const PeerJournal& mine, bool force, const WorkFolder& work, SyncResult& result) {
    auto& db = ctx_.db;
    const std::int64_t segment = db.state_value("journal_segment");
    const std::int64_t base = db.state_value("journal_base_plus_one") - 1;  // -1: none yet
    const bool due = force || base < 0 || segment - base >= ctx_.pipeline.config().journal.base_every ||
                     !mine.bases.count(base);
    if (!due) return;
    const fs::path file = work.file("base.sqlite");
    backup_database(db.handle(), file);
    const auto& me = ctx_.pipeline.config().client_id;
    ctx_.pipeline.transport().put(file, journal_object(me, "base", segment));
    const auto size = static_cast<std::int64_t>(fs::file_size(file));
    result.bytes_published += static_cast<std::uint64_t>(size);
    fs::remove(file);
    {
        LocalDatabase::Transaction tx(db);
        db.set_state_value("journal_base_plus_one", segment + 1);
        db.set_state_value("journal_base_size", size);
        db.clear_state_value("journal_base_owed");
        tx.commit();
    }
    remove_own(mine.bases, segment - 1);
}

void JournalExchange::remove_own(const std::map<std::int64_t, ObjectInfo>& objects, std::int64_t last,
                                 const std::function<void(std::int64_t)>& removed) {
    for (const auto& [n, object] : objects) {
        if (n > last) break;
        try {
            ctx_.pipeline.transport().remove(object.name);
            if (removed) removed(n);
        } catch (const Error&) {
            // already gone, or the share refused: a later sync tries again
        }
    }
}

void JournalExchange::publish_progress(const PeerJournal& mine, const WorkFolder& work, SyncResult& result) {
    auto& db = ctx_.db;
    std::string text;
    for (const auto& [peer, segment] : db.journal_progress()) text += fmt::format("{} {}\n", peer, segment);
    const auto digest = static_cast<std::int64_t>(std::hash<std::string>{}(text) >> 1);
    if (text.empty() || (!mine.reads.empty() && db.state_value("journal_read_digest") == digest)) return;
    const std::int64_t k = (mine.reads.empty() ? 0 : mine.reads.rbegin()->first) + 1;
    const fs::path file = work.file("read.txt");
    std::ofstream(file) << text;
    ctx_.pipeline.transport().put(file, journal_object(ctx_.pipeline.config().client_id, "read", k));
    result.bytes_published += text.size();
    LocalDatabase::Transaction tx(db);
    db.set_state_value("journal_read_digest", digest);
    tx.commit();
    remove_own(mine.reads, k - 1);
}

void JournalExchange::remove_read_segments(const std::map<std::string, PeerJournal>& journals, const WorkFolder& work,
                                           SyncResult& result) {
    const auto& me = ctx_.pipeline.config().client_id;
    const auto own = journals.find(me);
    if (own == journals.end()) return;
    const std::int64_t base = ctx_.db.state_value("journal_base_plus_one") - 1;
    if (own->second.segments.empty() || own->second.segments.begin()->first > base) return;  // nothing a base covers
    std::int64_t everyone_read = base;
    for (const auto& [peer, journal] : journals) {
        if (peer == me || retired(journal)) continue;
        if (journal.reads.empty()) return;  // it has not read us yet
        const fs::path file = work.file("read-" + peer + ".txt");
        if (!snapshot_.fetch(peer, journal.reads.rbegin()->second.name, file, result)) return;
        std::ifstream in(file);
        const auto progress = parse_progress(std::string(std::istreambuf_iterator<char>(in), {}));
        const auto it = progress.find(me);
        everyone_read = std::min(everyone_read, it == progress.end() ? 0 : it->second);
    }
    remove_own(own->second.segments, everyone_read,
               [&](std::int64_t segment) { ctx_.db.clear_state_value(fmt::format("journal_size:{}", segment)); });
}

Status JournalExchange::status() {
    auto& db = ctx_.db;
    const auto& config = ctx_.pipeline.config();
    Status status = snapshot_.status_of_this_client("journal_changelog_id");
    for (const auto& [peer, journal] : list_journals(ctx_.pipeline.transport())) {
        if (peer == config.client_id) continue;
        PeerStatus p;
        p.client = peer;
        p.last_publish = journal.newest;
        const auto progress = db.journal_progress(peer);
        p.never_read = !progress;
        for (const auto& [segment, object] : journal.segments)
            if (segment > progress.value_or(0)) {
                ++p.unread_changes;
                p.object_size += object.size;
            }
        p.retired = retired(journal);
        status.peers.push_back(std::move(p));
    }
    return status;
}

}  // namespace nas_sync
