#include "engine/local/change_capture.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "engine/versions/versions.hpp"

namespace nas_sync {

namespace {

const char* heartbeat_id = "00000000-0000-0000-0000-000000000000";

// Where a capture of at most max_rows change-log rows after `from` ends.
std::int64_t capture_end(std::int64_t from, std::int64_t last, std::int64_t max_rows) {
    return last > from && last - from > max_rows ? from + max_rows : last;
}

}  // namespace

ChangeCapture::ChangeCapture(Connection& connection, Bookkeeping& bookkeeping, PeerProgress& peers, RecordStore& records,
                             const std::vector<TableInfo>& tables)
    : connection_(connection),
      bookkeeping_(bookkeeping),
      peers_(peers),
      records_(records),
      tables_(tables),
      cache_(connection.handle()) {}

const TableInfo* ChangeCapture::find_table(const std::string& name) const {
    for (const auto& t : tables_)
        if (t.name == name) return &t;
    return nullptr;
}

std::int64_t ChangeCapture::max_changelog_id() {
    auto s = cache_.use("SELECT MAX(id) FROM _changelog");
    return s->step() && !s->is_null(0) ? s->integer(0) : 0;
}

void ChangeCapture::capture(std::int64_t max_rows) {
    const std::int64_t from = bookkeeping_.get(StateKey::captured_id);
    const std::int64_t to = capture_end(from, max_changelog_id(), max_rows);
    if (to != from) store_changes(read_changes(from, to), to);
}

// Each slice is read in a read transaction; the write transaction only stores
// what was read, unless another connection committed in between (the
// application may have changed those rows again): then it reads them again.
void ChangeCapture::capture_in_slices(std::int64_t slice_rows, std::chrono::milliseconds min_release) {
    using Clock = std::chrono::steady_clock;
    auto released = Clock::now() - min_release;
    for (;;) {
        std::int64_t seen = 0, from = 0, to = 0;
        std::vector<Change> changes;
        {
            ReadTransaction read(connection_);
            seen = connection_.data_version();
            from = bookkeeping_.get(StateKey::captured_id);
            to = capture_end(from, max_changelog_id(), slice_rows);
            changes = read_changes(from, to);  // none when the log ends at or before `from`
            read.commit();
        }
        if (to == from) return;
        const auto free_for = Clock::now() - released;
        if (free_for < min_release) std::this_thread::sleep_for(min_release - free_for);
        WriteTransaction tx(connection_);
        if (connection_.data_version() != seen || bookkeeping_.get(StateKey::captured_id) != from)
            capture(slice_rows);
        else
            store_changes(changes, to);
        tx.commit();
        released = Clock::now();
    }
}

// The records that change-log rows from+1..to name, with their states now.
std::vector<ChangeCapture::Change> ChangeCapture::read_changes(std::int64_t from, std::int64_t to) {
    std::vector<Change> changes;
    {
        auto changed = cache_.use("SELECT DISTINCT tableName, recordId FROM _changelog WHERE id > ? AND id <= ?");
        changed->bind(1, from).bind(2, to);
        while (changed->step())
            if (const TableInfo* table = find_table(changed->text(0))) changes.push_back({table, changed->text(1), {}, {}});
    }
    for (auto& change : changes) {
        std::optional<StoredVersion> stored;
        change.state = records_.state(*change.table, change.key, nullptr, now_ms(), &stored);
        change.lineage = captured_lineage(change.state, stored, records_.origin());
        // Storing a change needs its kind and version only: the row image
        // (which can be 100 MB) is let go at once, so a slice of 2,000 large
        // rows holds one of them at a time, not all.
        change.state.row.reset();
    }
    return changes;
}

void ChangeCapture::store_changes(const std::vector<Change>& changes, std::int64_t captured_to) {
    std::vector<std::string> outranked;
    try {
        for (const auto& change : changes) {
            if (change.state.kind == RecordState::Kind::absent) continue;
            // At the upper bound a change cannot be dated after the state it
            // replaced: if it ranks lower, peers that hold that state keep it
            // and would never send it again.
            if (change.state.version.time_ms == max_version_time) {
                const auto before = read_stored_version(cache_, change.table->name, change.key);
                const Version replaced{before ? clamp_version_time(before->time_ms) : unknown_time,
                                       before && before->deleted, before ? before->content_hash : 0};
                if (before && replaced.time_ms == max_version_time && !(change.state.version > replaced))
                    outranked.push_back(change.table->name + " '" + change.key + "'");
            }
            records_.stage_version(change.table->name, change.key, change.state.version, change.lineage);
        }
        records_.write_staged_versions();
    } catch (...) {
        records_.discard_staged_versions();  // the transaction rolls back: none of them may reach a later one
        throw;
    }
    bookkeeping_.set(StateKey::captured_id, captured_to);
    if (!outranked.empty()) peers_.forget_all();  // in this transaction: the next sync merges every peer whole
    outranked_.insert(outranked_.end(), outranked.begin(), outranked.end());
    for (const auto& change : changes)
        if (change.state.kind != RecordState::Kind::absent && change.table->name != heartbeat_table_name &&
            change.state.version.time_ms > newest_captured_.time_ms)
            newest_captured_ = {change.table->name, change.key, change.state.version.time_ms};
}

std::vector<std::pair<std::string, std::string>> ChangeCapture::logged_after(std::int64_t id) {
    auto s = cache_.use("SELECT tableName, recordId FROM _changelog WHERE id > ?");
    s->bind(1, id);
    std::vector<std::pair<std::string, std::string>> keys;
    while (s->step()) keys.emplace_back(s->text(0), s->text(1));
    return keys;
}

std::int64_t ChangeCapture::count_after(std::int64_t id) {
    auto s = cache_.use("SELECT count(*) FROM _changelog WHERE id > ?");
    s->bind(1, id);
    return s->step() ? s->integer(0) : 0;
}

void ChangeCapture::begin_apply() { apply_base_id_ = max_changelog_id(); }

void ChangeCapture::end_apply(const std::vector<LocalChange>& local_changes) {
    cache_.use("DELETE FROM _changelog WHERE id > ?")->bind(1, apply_base_id_).run();
    {
        auto log = cache_.use("INSERT INTO _changelog (tableName, recordId, operation) VALUES (?, ?, ?)");
        for (const auto& change : local_changes)
            log->bind(1, change.table).bind(2, change.key).bind(3, std::string(change.operation)).run();
    }
    // Our own rows logged above need no capture (their versions are stored);
    // skipped only when nothing before them waits to be captured.
    if (bookkeeping_.get(StateKey::captured_id) >= apply_base_id_)
        bookkeeping_.set(StateKey::captured_id, max_changelog_id());
}

void ChangeCapture::write_heartbeat() {
    const std::string today = format_timestamp_ms(now_ms()).substr(0, 10) + "T12:00:00Z";
    cache_
        .use("INSERT INTO _heartbeat (id, updatedAt) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET "
             "updatedAt = excluded.updatedAt WHERE excluded.updatedAt > _heartbeat.updatedAt")
        ->bind(1, std::string(heartbeat_id))
        .bind(2, today)
        .run();
}

// Rows are appended in time order, so the old ones are the log's first rows:
// only those are visited, up to the first row young enough to keep (a sync
// with nothing to prune reads one row, however long the log). A row older than
// one before it (the clock went back) waits until the rows before it go.
void ChangeCapture::prune(std::chrono::milliseconds retention, std::int64_t keep_after_id) {
    const std::string cutoff =
        fmt::format("-{} seconds", std::chrono::duration_cast<std::chrono::seconds>(retention).count());
    std::int64_t last = std::min(bookkeeping_.get(StateKey::captured_id), keep_after_id);
    {
        auto first_kept = cache_.use("SELECT id FROM _changelog WHERE id <= ? AND changedAt >= datetime('now', ?) "
                                     "ORDER BY id LIMIT 1");
        first_kept->bind(1, last).bind(2, cutoff);
        if (first_kept->step()) last = first_kept->integer(0) - 1;
    }
    cache_.use("DELETE FROM _changelog WHERE id <= ? AND changedAt < datetime('now', ?)")
        ->bind(1, last)
        .bind(2, cutoff)
        .run();
}

}  // namespace nas_sync
