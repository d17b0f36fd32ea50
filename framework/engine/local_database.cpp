#include "engine/local_database.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <thread>
#include <utility>

#include "database/checkpointer.hpp"
#include "database/schema.hpp"
#include "database/wal_write_buffer.hpp"
#include "nas_sync/error.hpp"

namespace nas_sync {

namespace {

const char* heartbeat_id = "00000000-0000-0000-0000-000000000000";

// The original's internal tables, exactly, and ours.
const char* internal_tables_sql = R"(
CREATE TABLE IF NOT EXISTS _changelog (id INTEGER PRIMARY KEY AUTOINCREMENT, tableName TEXT NOT NULL, recordId TEXT NOT NULL, operation TEXT NOT NULL, changedAt TEXT NOT NULL DEFAULT (datetime('now')));
CREATE INDEX IF NOT EXISTS idx_changelog_id ON _changelog(id);
CREATE TABLE IF NOT EXISTS _sync_state (remoteClientId TEXT PRIMARY KEY, lastSeenId INTEGER NOT NULL DEFAULT 0, lastSyncedAt TEXT);
CREATE TABLE IF NOT EXISTS _tombstone (tableName TEXT NOT NULL, recordId TEXT NOT NULL, deletedAt TEXT NOT NULL DEFAULT (datetime('now')), PRIMARY KEY (tableName, recordId));
CREATE TABLE IF NOT EXISTS _heartbeat (id TEXT PRIMARY KEY, updatedAt TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS _sync_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS _nas_sync_versions (tableName TEXT NOT NULL, recordId TEXT NOT NULL, time INTEGER NOT NULL, deleted INTEGER NOT NULL, hash INTEGER NOT NULL, PRIMARY KEY (tableName, recordId)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _nas_sync_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS _nas_sync_peers (clientId TEXT PRIMARY KEY, merged INTEGER NOT NULL DEFAULT 0, objectSize INTEGER, objectModified INTEGER);
CREATE TABLE IF NOT EXISTS _nas_sync_journal (clientId TEXT PRIMARY KEY, segment INTEGER NOT NULL);
)";

std::string trigger_name(const std::string& operation, const std::string& table) {
    return "_changelog_after_" + operation + "_" + table;
}

// Our trigger for one operation on one table. The delete trigger records the
// deletion time with milliseconds (the original writes whole seconds).
std::string trigger_sql(const std::string& operation, const TableInfo& table) {
    const std::string upper = operation == "insert" ? "INSERT" : operation == "update" ? "UPDATE" : "DELETE";
    const std::string row = operation == "delete" ? "OLD" : "NEW";
    const std::string key = row + "." + quote_identifier(table.primary_key);
    std::string body = fmt::format("INSERT INTO _changelog (tableName, recordId, operation) VALUES ({}, {}, '{}');",
                                   quote_literal(table.name), key, upper);
    if (operation == "delete")
        body += fmt::format(
            " INSERT OR REPLACE INTO _tombstone (tableName, recordId, deletedAt) VALUES ({}, {}, "
            "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));",
            quote_literal(table.name), key);
    return fmt::format("CREATE TRIGGER {} AFTER {} ON {} FOR EACH ROW BEGIN {} END",
                       quote_identifier(trigger_name(operation, table.name)), upper, quote_identifier(table.name), body);
}

std::string column_list(const TableInfo& table, const std::string& prefix = "") {
    std::string out;
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
        if (i) out += ", ";
        out += prefix + quote_identifier(table.columns[i].name);
    }
    return out;
}

// While applying, our change-log triggers must not log: what they would write
// is not our change (no echo) and would only be deleted again, at the cost of
// a change-log insert and delete per applied row. SQLite consults the
// authorizer when it compiles a statement, trigger bodies included, and an
// ignored INSERT is left out of the compiled program; so the statements that
// apply peers' states are compiled (and, after a schema change, recompiled)
// only while `skip` is set. end_apply() still drops any row that got logged.
int authorize(void* skip, int action, const char* table, const char*, const char*, const char* trigger) {
    const bool from_our_trigger = trigger && std::string_view(trigger).rfind("_changelog_after_", 0) == 0;
    if (*static_cast<bool*>(skip) && action == SQLITE_INSERT && table && std::string_view(table) == "_changelog" &&
        from_our_trigger)
        return SQLITE_IGNORE;
    return SQLITE_OK;
}

// Sets a flag for the lifetime of a scope.
class RaisedFlag {
public:
    explicit RaisedFlag(bool& flag) : flag_(flag), was_(std::exchange(flag, true)) {}
    ~RaisedFlag() { flag_ = was_; }
    RaisedFlag(const RaisedFlag&) = delete;
    RaisedFlag& operator=(const RaisedFlag&) = delete;

private:
    bool& flag_;
    bool was_;
};

// Rows a group statement writes at once: one statement for many rows costs
// far less than one per row.
constexpr std::size_t rows_per_group = 64;

// {} is the VALUES list. REPLACE rather than an upsert (ON CONFLICT DO
// UPDATE), which searches the key again to update it: the table has no
// triggers and every column is given, so the outcome is the same, and
// applying costs about 1 µs less per record (traced: 12.3–12.9 → 11.3–11.4).
constexpr const char* store_version_sql =
    "INSERT OR REPLACE INTO _nas_sync_versions (tableName, recordId, time, deleted, hash) VALUES {}";
constexpr std::size_t version_columns = 5;
const std::string store_one_version_sql = fmt::format(store_version_sql, "(?, ?, ?, ?, ?)");

// "(row), (row), ..." with `rows` copies of one row's placeholders, for VALUES.
std::string values_list(const std::string& row, std::size_t rows) {
    std::string out;
    for (std::size_t r = 0; r < rows; ++r) out += (r ? ", (" : "(") + row + ")";
    return out;
}

// What a column missing from a peer's row image is written as.
const Value null_value = Null{};

// The name that reaches a table's rowid (one its columns do not shadow), or ""
// for a WITHOUT ROWID table.
std::string rowid_name(sqlite3* db, const TableInfo& table) {
    Statement list(db, "SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?");
    list.bind(1, table.name);
    if (!list.step() || list.integer(0) != 0) return "";
    for (const std::string name : {"rowid", "_rowid_", "oid"}) {
        const bool shadowed = std::any_of(table.columns.begin(), table.columns.end(), [&](const ColumnSchema& c) {
            return sqlite3_stricmp(c.name.c_str(), name.c_str()) == 0;
        });
        if (!shadowed) return name;
    }
    return "";
}

// One statement for a key's state: the given columns of its row ("t."),
// then its recorded version, its tombstone (which matters only when there
// is no row, see derive_state), whether it has a row, and the row's rowid.
// Read by read_state_columns.
std::string state_query(const TableInfo& table, const std::string& row_columns, const std::string& rowid) {
    return fmt::format("SELECT {0}v.time, v.deleted, v.hash, CASE WHEN t.{1} IS NULL THEN "
                       "(SELECT deletedAt FROM _tombstone WHERE tableName = ?1 AND recordId = ?2) END, "
                       "t.{1} IS NOT NULL, {2} FROM (SELECT 1) LEFT JOIN {3} AS t ON t.{1} = ?2 "
                       "LEFT JOIN _nas_sync_versions AS v ON v.tableName = ?1 AND v.recordId = ?2",
                       row_columns, quote_identifier(table.primary_key), rowid.empty() ? "NULL" : "t." + rowid,
                       quote_identifier(table.name));
}

// What a state_query returns after the row's `width` columns.
struct StateColumns {
    std::optional<StoredVersion> stored;
    std::optional<std::string> tombstone;
    bool has_row;
    std::int64_t rowid;  // 0 when NULL
};

StateColumns read_state_columns(const Statement& s, int width) {
    StateColumns c{std::nullopt, std::nullopt, s.integer(width + 4) != 0, s.integer(width + 5)};
    if (!s.is_null(width))
        c.stored = StoredVersion{s.integer(width), s.integer(width + 1) != 0, static_cast<std::uint64_t>(s.integer(width + 2))};
    if (!s.is_null(width + 3)) c.tombstone = s.text(width + 3);
    return c;
}

}  // namespace

TableInfo heartbeat_table() {
    return {"_heartbeat", "id", "updatedAt", {{"id", "TEXT", false, 1}, {"updatedAt", "TEXT", true, 0}}};
}

struct LocalDatabase::TableStatements {
    struct UniqueIndex {
        std::vector<std::string> columns;
        Statement find_other;  // keys of other rows holding these values
    };
    Statement select_state;
    Statement upsert;
    Statement delete_row;
    // Rewrites a row found by its rowid (and key): an existing row's update
    // without the key index's lookup. Unset for a WITHOUT ROWID table.
    std::optional<Statement> update_by_rowid;
    std::vector<UniqueIndex> unique_indexes;
    // Rows applied to a table without secondary UNIQUE indexes are written
    // group_rows at a time by upsert_group (see apply_row).
    std::optional<Statement> upsert_group;
    std::size_t group_rows = 1;
    StagedValues staged;  // column values of the rows staged, row after row
    std::string rowid;  // its name (see rowid_name), "" for a WITHOUT ROWID table
    std::optional<Statement> select_recorded;  // see recorded_state, made on first use
};

LocalDatabase::LocalDatabase(const std::filesystem::path& file, std::vector<TableInfo> tables)
    : file_(file), tables_(std::move(tables)), cache_(nullptr) {
    tables_.push_back(heartbeat_table());
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
        throw Error(ErrorCode::not_found, fmt::format("database '{}' does not exist", file.string()));
    // CREATE lets ATTACH create journal segments; the database itself must exist (checked above).
    // The VFS writes our WAL frames in large pieces: a commit holds the write lock.
    const int rc = sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                   buffered_wal_vfs());
    if (rc != SQLITE_OK) {
        const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw Error(ErrorCode::io, fmt::format("cannot open database '{}': {}", file.string(), message));
    }
    sqlite3_set_authorizer(db_, authorize, &applying_);
    cache_ = StatementCache(db_);
    sqlite3_busy_timeout(db_, 10000);
    sqlite3_extended_result_codes(db_, 1);
    use_wal();
    // Rows arrive in any order; the peer that deleted a parent also sends the
    // deletions its cascade made, so constraints are not enforced while applying.
    exec(db_, "PRAGMA foreign_keys = OFF");
    exec(db_, "PRAGMA recursive_triggers = OFF");
    exec(db_, "PRAGMA cache_size = -32768");  // 32 MB: full merges touch the whole table
    // Reads map the file instead of copying each page out of it: looking up
    // the states of 10,000 random keys of a 500k-row table took half the time.
    // (A mapped file turns an I/O error into a signal; our database is local.)
    exec(db_, "PRAGMA mmap_size = 1073741824");
    // No fsync at our commits, which hold the write lock: under the disk load
    // of copying a share's objects one took over 200 ms (the application may
    // wait 100 ms at most). The WAL stays consistent, our checkpoints still
    // sync, and every commit of ours is redone the same way if a power loss
    // takes it back (captures, applies with their progress, publish records;
    // a journal segment number is never reused).
    exec(db_, "PRAGMA synchronous = NORMAL");
    // Replaces SQLite's auto-checkpoint, which would copy the WAL inside our
    // COMMIT while we hold the write lock: we count the WAL's frames and leave
    // the copying to a background checkpointer (see Transaction::commit).
    sqlite3_wal_hook(
        db_, [](void* frames, sqlite3*, const char*, int n) { return *static_cast<int*>(frames) = n, SQLITE_OK; },
        &wal_frames_);
}

// WAL lets the application keep writing while we read and publish. Switching
// needs a moment without other connections; SQLite does not wait for it, so we do.
void LocalDatabase::use_wal() {
    for (int attempt = 0;; ++attempt) {
        Statement mode(db_, "PRAGMA journal_mode");
        if (mode.step() && mode.text(0) == "wal") return;
        mode.reset();
        const int rc = sqlite3_exec(db_, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
        if (rc == SQLITE_OK) return;
        if ((rc & 0xff) != SQLITE_BUSY || attempt >= 200)
            throw_sqlite_error(db_, rc, "cannot switch database '" + file_.string() + "' to WAL mode");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

LocalDatabase::~LocalDatabase() {
    checkpointer_.reset();
    statements_.clear();
    cache_.clear();
    sqlite3_close_v2(db_);
}

const TableInfo* LocalDatabase::find_table(const std::string& name) const {
    for (const auto& t : tables_)
        if (t.name == name) return &t;
    return nullptr;
}

LocalDatabase::Transaction::Transaction(LocalDatabase& db) : db_(db) { exec(db_.db_, "BEGIN IMMEDIATE"); }
LocalDatabase::Transaction::~Transaction() {
    if (!done_) sqlite3_exec(db_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
}
void LocalDatabase::Transaction::commit() {
    exec(db_.db_, "COMMIT");
    done_ = true;
    // Copying the WAL in large steps copies a page changed by several commits
    // once and syncs the files less often; flush_wal() copies the rest.
    if (db_.wal_frames_ >= checkpoint_after_frames) db_.flush_wal();
}

std::int64_t LocalDatabase::data_version() {
    auto s = cache_.use("PRAGMA data_version");
    s->step();
    return s->integer(0);
}

void LocalDatabase::flush_wal() {
    if (wal_frames_ == 0) return;
    wal_frames_ = 0;
    if (!checkpointer_) checkpointer_ = std::make_unique<BackgroundCheckpointer>(file_);
    checkpointer_->request();
}

void LocalDatabase::wait_for_checkpoint(std::chrono::milliseconds at_most) {
    if (checkpointer_) checkpointer_->wait_until_idle(at_most);
}

void LocalDatabase::install() {
    Transaction tx(*this);
    exec(db_, internal_tables_sql);
    Statement existing(db_, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?");
    for (const auto& table : tables_) {
        for (const std::string operation : {"insert", "update", "delete"}) {
            if (table.name == "_heartbeat" && operation == "delete") continue;
            const std::string wanted = trigger_sql(operation, table);
            existing.bind(1, trigger_name(operation, table.name));
            const bool same = existing.step() && existing.text(0) == wanted;
            existing.reset();
            if (same) continue;
            exec(db_, "DROP TRIGGER IF EXISTS " + quote_identifier(trigger_name(operation, table.name)));
            exec(db_, wanted);
        }
        record_baseline(table);
    }
    tx.commit();
}

// Rows and tombstones that were there before we synced the table have no
// change-log entry; their versions are recorded once, so a later local change
// is made newer than them like any other.
void LocalDatabase::record_baseline(const TableInfo& table) {
    const std::string marker = "baseline:" + table.name;
    if (state_value(marker) != 0) return;
    std::vector<std::string> keys;
    {
        Statement all(db_, fmt::format("SELECT {} FROM {} UNION SELECT recordId FROM _tombstone WHERE tableName = ?",
                                       quote_identifier(table.primary_key), quote_identifier(table.name)));
        all.bind(1, table.name);
        while (all.step()) keys.push_back(all.text(0));
    }
    for (const auto& key : keys) {
        if (read_stored_version(cache_, table.name, key)) continue;
        const RecordState s = state(table, key);
        if (s.kind != RecordState::Kind::absent) store_version(table.name, key, s.version);
    }
    set_state_value(marker, 1);
}

std::string LocalDatabase::meta(const std::string& key) const {
    Statement s(db_, "SELECT value FROM _sync_meta WHERE key = ?");
    s.bind(1, key);
    return s.step() ? s.text(0) : std::string();
}

void LocalDatabase::set_meta(const std::string& key, const std::string& value) {
    Statement s(db_, "INSERT INTO _sync_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    s.bind(1, key).bind(2, value).run();
}

std::int64_t LocalDatabase::state_value(const std::string& key) const {
    Statement s(db_, "SELECT value FROM _nas_sync_state WHERE key = ?");
    s.bind(1, key);
    return s.step() ? s.integer(0) : 0;
}

void LocalDatabase::set_state_value(const std::string& key, std::int64_t value) {
    Statement s(db_, "INSERT INTO _nas_sync_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    s.bind(1, key).bind(2, value).run();
}

void LocalDatabase::clear_state_value(const std::string& key) {
    Statement s(db_, "DELETE FROM _nas_sync_state WHERE key = ?");
    s.bind(1, key).run();
}

std::int64_t LocalDatabase::max_changelog_id() const { return query_integer(db_, "SELECT MAX(id) FROM _changelog"); }

namespace {
// Where a capture of at most max_rows change-log rows after `from` ends.
std::int64_t capture_end(std::int64_t from, std::int64_t last, std::int64_t max_rows) {
    return last > from && last - from > max_rows ? from + max_rows : last;
}
}  // namespace

void LocalDatabase::capture(std::int64_t max_rows) {
    const std::int64_t from = state_value("captured_id");
    const std::int64_t to = capture_end(from, max_changelog_id(), max_rows);
    if (to != from) store_changes(read_changes(from, to), to);
}

// Each slice is read in a read transaction; the write transaction only stores
// what was read, unless another connection committed in between (the
// application may have changed those rows again): then it reads them again.
void LocalDatabase::capture_in_slices(std::int64_t slice_rows, std::chrono::milliseconds min_release) {
    using Clock = std::chrono::steady_clock;
    auto released = Clock::now() - min_release;
    for (;;) {
        std::int64_t seen = 0, from = 0, to = 0;
        std::vector<Change> changes;
        exec(db_, "BEGIN");
        try {
            seen = data_version();
            from = state_value("captured_id");
            to = capture_end(from, max_changelog_id(), slice_rows);
            changes = read_changes(from, to);  // none when the log ends at or before `from`
            exec(db_, "COMMIT");
        } catch (...) {
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
        if (to == from) return;
        const auto free_for = Clock::now() - released;
        if (free_for < min_release) std::this_thread::sleep_for(min_release - free_for);
        Transaction tx(*this);
        if (data_version() != seen || state_value("captured_id") != from)
            capture(slice_rows);
        else
            store_changes(changes, to);
        tx.commit();
        released = Clock::now();
    }
}

// The records that change-log rows from+1..to name, with their states now.
std::vector<LocalDatabase::Change> LocalDatabase::read_changes(std::int64_t from, std::int64_t to) {
    Statement changed(db_, "SELECT DISTINCT tableName, recordId FROM _changelog WHERE id > ? AND id <= ?");
    changed.bind(1, from).bind(2, to);
    std::vector<Change> changes;
    while (changed.step())
        if (const TableInfo* table = find_table(changed.text(0))) changes.push_back({table, changed.text(1), {}});
    for (auto& change : changes) change.state = state(*change.table, change.key);
    return changes;
}

void LocalDatabase::store_changes(const std::vector<Change>& changes, std::int64_t captured_to) {
    try {
        for (const auto& change : changes)
            if (change.state.kind != RecordState::Kind::absent) stage_version(change.table->name, change.key, change.state.version);
        write_row_by_row(*cache_.use(store_one_version_sql), staged_versions_, version_columns);
    } catch (...) {
        staged_versions_.clear();  // the transaction rolls back: none of them may reach a later one
        throw;
    }
    set_state_value("captured_id", captured_to);
}

LocalDatabase::TableStatements& LocalDatabase::statements(const TableInfo& table) {
    auto& slot = statements_[table.name];
    if (slot) return *slot;
    const std::string t = quote_identifier(table.name);
    const std::string pk = quote_identifier(table.primary_key);
    std::string placeholders, updates;
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
        placeholders += i ? ", ?" : "?";
        if (table.columns[i].name == table.primary_key) continue;
        if (!updates.empty()) updates += ", ";
        const auto c = quote_identifier(table.columns[i].name);
        updates += c + " = excluded." + c;
    }
    const std::string conflict = updates.empty() ? "DO NOTHING" : "DO UPDATE SET " + updates;
    const std::string rowid = rowid_name(db_, table);
    const RaisedFlag compiling_apply_statements(applying_);  // compiled without logging (see authorize)
    slot.reset(new TableStatements{
        Statement(db_, state_query(table, column_list(table, "t.") + ", ", rowid)),
        Statement(db_, fmt::format("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT({}) {}", t, column_list(table),
                                   placeholders, pk, conflict)),
        Statement(db_, fmt::format("DELETE FROM {} WHERE {} = ?", t, pk)),
        {},
        {}});
    slot->rowid = rowid;
    if (!rowid.empty()) {
        // Parameters as the upsert's (one per column, in order), then the rowid.
        std::string set, key_parameter;
        for (std::size_t i = 0; i < table.columns.size(); ++i) {
            const auto parameter = fmt::format("?{}", i + 1);
            if (table.columns[i].name == table.primary_key) {
                key_parameter = parameter;
                continue;
            }
            set += fmt::format("{}{} = {}", set.empty() ? "" : ", ", quote_identifier(table.columns[i].name), parameter);
        }
        if (!set.empty())
            slot->update_by_rowid.emplace(db_, fmt::format("UPDATE {} SET {} WHERE {} = ?{} AND {} = {}", t, set, rowid,
                                                           table.columns.size() + 1, pk, key_parameter));
    }
    // Secondary UNIQUE indexes (not the key, not partial, on plain columns).
    Statement indexes(db_, "SELECT name FROM pragma_index_list(?) WHERE \"unique\" = 1 AND origin != 'pk' AND partial = 0");
    indexes.bind(1, table.name);
    std::vector<std::string> names;
    while (indexes.step()) names.push_back(indexes.text(0));
    for (const auto& index : names) {
        Statement info(db_, "SELECT name FROM pragma_index_info(?) ORDER BY seqno");
        info.bind(1, index);
        std::vector<std::string> columns;
        bool plain = true;
        while (info.step()) {
            if (info.is_null(0)) plain = false;
            columns.push_back(info.text(0));
        }
        if (!plain || columns.empty() || (columns.size() == 1 && columns[0] == table.primary_key)) continue;
        std::string where;
        for (const auto& c : columns) where += quote_identifier(c) + " = ? AND ";
        slot->unique_indexes.push_back(
            {columns, Statement(db_, fmt::format("SELECT {} FROM {} WHERE {}{} IS NOT ?", pk, t, where, pk))});
    }
    if (slot->unique_indexes.empty()) {
        const std::size_t width = table.columns.size();
        const auto max_variables = static_cast<std::size_t>(sqlite3_limit(db_, SQLITE_LIMIT_VARIABLE_NUMBER, -1));
        slot->group_rows = std::clamp<std::size_t>(max_variables / width, 1, rows_per_group);
        slot->upsert_group.emplace(db_, fmt::format("INSERT INTO {} ({}) VALUES {} ON CONFLICT({}) {}", t,
                                                    column_list(table), values_list(placeholders, slot->group_rows),
                                                    pk, conflict));
    }
    return *slot;
}

RecordState LocalDatabase::state(const TableInfo& table, const std::string& key, std::int64_t* rowid) {
    auto& s = statements(table).select_state;
    s.bind(1, table.name).bind(2, key);
    s.step();  // always exactly one row
    const int width = static_cast<int>(table.columns.size());
    const StateColumns found = read_state_columns(s, width);
    std::optional<RowImage> row;
    if (found.has_row) {
        row.emplace();
        row->columns.reserve(table.columns.size());
        row->values.reserve(table.columns.size());
        for (int i = 0; i < width; ++i) {
            row->columns.push_back(table.columns[static_cast<std::size_t>(i)].name);
            row->values.push_back(s.value(i));
        }
    }
    if (rowid) *rowid = found.rowid;
    s.reset();
    return derive_state(std::move(row), table.timestamp_column, found.tombstone, found.stored);
}

std::optional<RecordState> LocalDatabase::recorded_state(const TableInfo& table, const std::string& key,
                                                          std::int64_t* rowid) {
    auto& st = statements(table);
    // No row columns: the key's index alone says whether there is a row and
    // where (it holds the rowid), so the table itself is not read.
    if (!st.select_recorded) st.select_recorded.emplace(db_, state_query(table, "", st.rowid));
    auto& s = *st.select_recorded;
    s.bind(1, table.name).bind(2, key);
    s.step();  // always exactly one row
    const StateColumns found = read_state_columns(s, 0);
    s.reset();
    if (rowid) *rowid = found.rowid;
    if (!found.has_row) return derive_state(std::nullopt, table.timestamp_column, found.tombstone, found.stored);
    if (!found.stored || found.stored->deleted) return std::nullopt;  // a row with no version of its own: read it
    return recorded_row_state(*found.stored);
}

bool LocalDatabase::holds_nothing_of(const TableInfo& table) {
    Statement s(db_, fmt::format("SELECT EXISTS (SELECT 1 FROM {}) OR EXISTS (SELECT 1 FROM _nas_sync_versions "
                                 "WHERE tableName = ?1) OR EXISTS (SELECT 1 FROM _tombstone WHERE tableName = ?1)",
                                 quote_identifier(table.name)));
    s.bind(1, table.name);
    s.step();
    return s.integer(0) == 0;
}

void LocalDatabase::store_version(const std::string& table, const std::string& key, const Version& v) {
    cache_.use(store_one_version_sql)
        ->bind(1, table).bind(2, key).bind(3, v.time_ms).bind(4, std::int64_t{v.deletion ? 1 : 0})
        .bind(5, static_cast<std::int64_t>(v.content_hash)).run();
}

void LocalDatabase::set_tombstone(const std::string& table, const std::string& key, std::int64_t time_ms) {
    cache_.use("INSERT OR REPLACE INTO _tombstone (tableName, recordId, deletedAt) VALUES (?, ?, ?)")
        ->bind(1, table).bind(2, key).bind(3, format_timestamp_ms(time_ms)).run();
}

void LocalDatabase::remove_tombstone(const std::string& table, const std::string& key) {
    cache_.use("DELETE FROM _tombstone WHERE tableName = ? AND recordId = ?")->bind(1, table).bind(2, key).run();
}

bool LocalDatabase::apply_row(const TableInfo& table, const std::string& key, const RecordState& remote,
                              bool had_tombstone, std::int64_t rowid) {
    auto& st = statements(table);
    const RowImage& row = *remote.row;
    auto value_of = [&](const std::string& column) -> const Value& {
        const Value* v = row.find(column);
        return v ? *v : null_value;
    };
    for (auto& index : st.unique_indexes) {
        bool has_null = false;
        for (std::size_t i = 0; i < index.columns.size(); ++i) {
            const Value& v = value_of(index.columns[i]);
            has_null = has_null || std::holds_alternative<Null>(v);
            index.find_other.bind(static_cast<int>(i + 1), v);
        }
        index.find_other.bind(static_cast<int>(index.columns.size() + 1), key);
        std::vector<std::string> others;
        while (!has_null && index.find_other.step()) others.push_back(index.find_other.text(0));
        index.find_other.reset();
        for (const auto& other_key : others) {
            const RecordState other = state(table, other_key);
            if (other.version > remote.version) {
                // The incoming row loses the collision: it is deleted here, as
                // every client that meets both rows will do, and that spreads.
                delete_as_local_change(table, key, std::max(remote.version, state(table, key).version));
                return false;
            }
            delete_as_local_change(table, other_key, other.version);
        }
    }
    if (st.upsert_group) {
        if (!(rowid != 0 && update_in_place(st, table, row, rowid))) {
            // Staged: nothing reads this table's other keys before end_apply writes it.
            for (const auto& column : table.columns) {
                const Value* v = row.find(column.name);
                st.staged.push(v ? *v : null_value);  // a copy: the row goes back to its reading thread
            }
            if (st.staged.size() == st.group_rows * table.columns.size()) write_rows(*st.upsert_group, st.staged);
        }
        stage_version(table.name, key, remote.version);
    } else {
        for (std::size_t i = 0; i < table.columns.size(); ++i)
            st.upsert.bind(static_cast<int>(i + 1), value_of(table.columns[i].name));
        st.upsert.run();
        store_version(table.name, key, remote.version);
    }
    if (had_tombstone) remove_tombstone(table.name, key);
    return true;
}

// Written with the next whole group of versions; the rest by write_staged()
// (applying) or store_changes (capturing).
void LocalDatabase::stage_version(const std::string& table, const std::string& key, const Version& v) {
    staged_versions_.push(table);
    staged_versions_.push(key);
    staged_versions_.push(v.time_ms);
    staged_versions_.push(std::int64_t{v.deletion ? 1 : 0});
    staged_versions_.push(static_cast<std::int64_t>(v.content_hash));
    if (staged_versions_.size() == rows_per_group * version_columns) {
        if (!versions_group_)
            versions_group_.emplace(db_, fmt::format(store_version_sql, values_list("?, ?, ?, ?, ?", rows_per_group)));
        write_rows(*versions_group_, staged_versions_);
    }
}

// The row that `rowid` names, when it still holds `row`'s key, rewritten in
// place; false when it does not (then nothing was written).
bool LocalDatabase::update_in_place(TableStatements& st, const TableInfo& table, const RowImage& row,
                                    std::int64_t rowid) {
    if (!st.update_by_rowid) return false;
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
        const Value* v = row.find(table.columns[i].name);
        st.update_by_rowid->bind_borrowed(static_cast<int>(i + 1), v ? *v : null_value);
    }
    st.update_by_rowid->bind(static_cast<int>(table.columns.size() + 1), rowid);
    st.update_by_rowid->run();
    return sqlite3_changes(db_) == 1;
}

void LocalDatabase::apply_deletion(const TableInfo& table, const std::string& key, const Version& version) {
    auto& st = statements(table);
    st.delete_row.bind(1, key).run();
    record_deletion_time(table, key, version);
}

void LocalDatabase::record_deletion_time(const TableInfo& table, const std::string& key, const Version& version) {
    set_tombstone(table.name, key, version.time_ms);
    store_version(table.name, key, version);
}

void LocalDatabase::delete_as_local_change(const TableInfo& table, const std::string& key, const Version& removed) {
    const Version deletion{std::max(now_ms(), removed.time_ms + 1), true, 0};
    apply_deletion(table, key, deletion);
    local_deletions_.emplace_back(table.name, key);
}

// Binds `values` to a statement with as many parameters, runs it, and empties them.
void LocalDatabase::write_rows(Statement& statement, StagedValues& values) {
    write_row_by_row(statement, values, values.size());
}

// Runs `single` once per `width` values, and empties them.
void LocalDatabase::write_row_by_row(Statement& single, StagedValues& values, std::size_t width) {
    for (std::size_t row = 0; row < values.size(); row += width) {
        for (std::size_t i = 0; i < width; ++i) single.bind_borrowed(static_cast<int>(i + 1), values[row + i]);
        single.run();
    }
    values.clear();
}

// What is staged and not yet a whole group.
void LocalDatabase::write_staged() {
    for (const auto& table : tables_) {
        const auto found = statements_.find(table.name);
        if (found != statements_.end()) write_row_by_row(found->second->upsert, found->second->staged, table.columns.size());
    }
    write_row_by_row(*cache_.use(store_one_version_sql), staged_versions_, version_columns);
}

void LocalDatabase::abort_apply() {
    applying_ = false;
    for (auto& [name, st] : statements_) st->staged.clear();
    staged_versions_.clear();
}

void LocalDatabase::begin_apply() {
    applying_ = true;
    apply_base_id_ = max_changelog_id();
    local_deletions_.clear();
}

void LocalDatabase::end_apply() {
    write_staged();
    Statement drop(db_, "DELETE FROM _changelog WHERE id > ?");
    drop.bind(1, apply_base_id_).run();
    Statement log(db_, "INSERT INTO _changelog (tableName, recordId, operation) VALUES (?, ?, 'DELETE')");
    for (const auto& [table, key] : local_deletions_) log.bind(1, table).bind(2, key).run();
    local_deletions_.clear();
    // Our own rows logged above need no capture (their versions are stored);
    // skipped only when nothing before them waits to be captured.
    if (state_value("captured_id") >= apply_base_id_) set_state_value("captured_id", max_changelog_id());
    cache_.use("INSERT INTO _nas_sync_state (key, value) VALUES ('apply_generation', 1) "
               "ON CONFLICT(key) DO UPDATE SET value = value + 1")
        ->run();
    applying_ = false;
}

std::vector<std::pair<std::string, std::string>> LocalDatabase::logged_after(std::int64_t id) {
    auto s = cache_.use("SELECT tableName, recordId FROM _changelog WHERE id > ?");
    s->bind(1, id);
    std::vector<std::pair<std::string, std::string>> keys;
    while (s->step()) keys.emplace_back(s->text(0), s->text(1));
    return keys;
}

std::int64_t LocalDatabase::last_seen_id(const std::string& peer) const {
    Statement s(db_, "SELECT lastSeenId FROM _sync_state WHERE remoteClientId = ?");
    s.bind(1, peer);
    return s.step() ? s.integer(0) : 0;
}

LocalDatabase::PeerRecord LocalDatabase::peer(const std::string& peer) const {
    Statement s(db_, "SELECT merged, objectSize, objectModified FROM _nas_sync_peers WHERE clientId = ?");
    s.bind(1, peer);
    PeerRecord r;
    if (s.step()) {
        r.merged = s.integer(0) != 0;
        r.object_size = s.is_null(1) ? -1 : s.integer(1);
        r.object_modified = s.is_null(2) ? -1 : s.integer(2);
    }
    return r;
}

void LocalDatabase::record_peer(const std::string& peer, std::int64_t last_seen, std::int64_t object_size,
                                std::int64_t object_modified) {
    Statement state(db_,
                    "INSERT INTO _sync_state (remoteClientId, lastSeenId, lastSyncedAt) VALUES (?, ?, datetime('now')) "
                    "ON CONFLICT(remoteClientId) DO UPDATE SET lastSeenId = excluded.lastSeenId, "
                    "lastSyncedAt = excluded.lastSyncedAt");
    state.bind(1, peer).bind(2, last_seen).run();
    Statement ours(db_,
                   "INSERT INTO _nas_sync_peers (clientId, merged, objectSize, objectModified) VALUES (?, 1, ?, ?) "
                   "ON CONFLICT(clientId) DO UPDATE SET merged = 1, objectSize = excluded.objectSize, "
                   "objectModified = excluded.objectModified");
    ours.bind(1, peer).bind(2, object_size).bind(3, object_modified).run();
}

std::optional<std::int64_t> LocalDatabase::journal_progress(const std::string& peer) const {
    Statement s(db_, "SELECT segment FROM _nas_sync_journal WHERE clientId = ?");
    s.bind(1, peer);
    if (!s.step()) return std::nullopt;
    return s.integer(0);
}

std::map<std::string, std::int64_t> LocalDatabase::journal_progress() const {
    std::map<std::string, std::int64_t> out;
    Statement s(db_, "SELECT clientId, segment FROM _nas_sync_journal ORDER BY clientId");
    while (s.step()) out[s.text(0)] = s.integer(1);
    return out;
}

void LocalDatabase::set_journal_progress(const std::string& peer, std::int64_t segment) {
    Statement s(db_, "INSERT INTO _nas_sync_journal (clientId, segment) VALUES (?, ?) "
                     "ON CONFLICT(clientId) DO UPDATE SET segment = excluded.segment");
    s.bind(1, peer).bind(2, segment).run();
}

void LocalDatabase::write_heartbeat() {
    const std::string today = format_timestamp_ms(now_ms()).substr(0, 10) + "T12:00:00Z";
    Statement s(db_,
                "INSERT INTO _heartbeat (id, updatedAt) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET "
                "updatedAt = excluded.updatedAt WHERE excluded.updatedAt > _heartbeat.updatedAt");
    s.bind(1, std::string(heartbeat_id)).bind(2, today).run();
}

// Rows are appended in time order, so the old ones are the log's first rows:
// only those are visited, up to the first row young enough to keep (a sync
// with nothing to prune reads one row, however long the log). A row older than
// one before it (the clock went back) waits until the rows before it go.
void LocalDatabase::prune_changelog(std::chrono::milliseconds retention, std::int64_t keep_after_id) {
    const std::string cutoff = fmt::format("-{} seconds", std::chrono::duration_cast<std::chrono::seconds>(retention).count());
    std::int64_t last = std::min(state_value("captured_id"), keep_after_id);
    Statement first_kept(db_, "SELECT id FROM _changelog WHERE id <= ? AND changedAt >= datetime('now', ?) "
                              "ORDER BY id LIMIT 1");
    first_kept.bind(1, last).bind(2, cutoff);
    if (first_kept.step()) last = first_kept.integer(0) - 1;
    Statement prune(db_, "DELETE FROM _changelog WHERE id <= ? AND changedAt < datetime('now', ?)");
    prune.bind(1, last).bind(2, cutoff).run();
}

}  // namespace nas_sync
