#include "engine/local/record_store.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "database/schema.hpp"
#include "engine/tables/record_key.hpp"
#include "nas_sync/error.hpp"

namespace nas_sync {

namespace {

// Rows a group statement writes at once: one statement for many rows costs
// far less than one per row. With large values, the rows staged are written
// once they hold max_staged_bytes.
constexpr std::size_t rows_per_group = 64;
constexpr std::size_t max_staged_bytes = 8u << 20;

// {} is the VALUES list. REPLACE rather than an upsert (ON CONFLICT DO
// UPDATE), which searches the key again to update it: the table has no
// triggers (TableDigests is told in C++) and every column is given, so the outcome is the same, and
// applying costs about 1 µs less per record (traced: 12.3–12.9 → 11.3–11.4).
constexpr const char* store_version_sql =
    "INSERT OR REPLACE INTO _nas_sync_versions (tableName, recordId, time, deleted, hash, origin, base) VALUES {}";
constexpr std::size_t version_columns = 7;
constexpr const char* version_placeholders = "?, ?, ?, ?, ?, ?, ?";
const std::string store_one_version_sql = fmt::format(store_version_sql, fmt::format("({})", version_placeholders));

// "(row), (row), ..." with `rows` copies of one row's placeholders, for VALUES.
std::string values_list(const std::string& row, std::size_t rows) {
    std::string out;
    for (std::size_t r = 0; r < rows; ++r) out += (r ? ", (" : "(") + row + ")";
    return out;
}

// What a column missing from a peer's row image is written as.
const Value null_value = Null{};

std::string column_list(const TableInfo& table, const std::string& prefix = "") {
    std::string out;
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
        if (i) out += ", ";
        out += prefix + quote_identifier(table.columns[i].name);
    }
    return out;
}

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
    // A key column is never NULL in a row found by its key: whether there is one.
    const std::string found = "t." + quote_identifier(table.key_columns.front());
    return fmt::format("SELECT {0}v.time, v.deleted, v.hash, v.origin, v.base, CASE WHEN {1} IS NULL THEN "
                       "(SELECT deletedAt FROM _tombstone WHERE tableName = ?1 AND recordId = ?2) END, "
                       "{1} IS NOT NULL, {2} FROM (SELECT 1) LEFT JOIN {3} AS t ON {4} "
                       "LEFT JOIN _nas_sync_versions AS v ON v.tableName = ?1 AND v.recordId = ?2",
                       row_columns, found, rowid.empty() ? "NULL" : "t." + rowid, quote_identifier(table.name),
                       key_match(table, "t", "?2"));
}

// What a state_query returns after the row's `width` columns.
struct StateColumns {
    std::optional<StoredVersion> stored;
    std::optional<std::string> tombstone;
    bool has_row;
    std::int64_t rowid;  // 0 when NULL
};

StateColumns read_state_columns(const Statement& s, int width) {
    StateColumns c{stored_version_at(s, width, true), std::nullopt, s.integer(width + 6) != 0, s.integer(width + 7)};
    if (!s.is_null(width + 5)) c.tombstone = s.text(width + 5);
    return c;
}

}  // namespace

struct RecordStore::TableStatements {
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

RecordStore::RecordStore(Connection& connection, const std::vector<TableInfo>& tables, TableDigests& digests,
                         std::uint64_t origin)
    : connection_(connection),
      db_(connection.handle()),
      tables_(tables),
      digests_(digests),
      origin_(origin),
      cache_(connection.handle()) {}

RecordStore::~RecordStore() {
    statements_.clear();
    versions_group_.reset();
    cache_.clear();
}

RecordStore::TableStatements& RecordStore::statements(const TableInfo& table) {
    auto& slot = statements_[table.name];
    if (slot) return *slot;
    const std::string t = quote_identifier(table.name);
    const std::string key_columns = key_column_list(table);
    std::string placeholders, updates;
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
        placeholders += i ? ", ?" : "?";
        if (table.is_key_column(table.columns[i].name)) continue;
        if (!updates.empty()) updates += ", ";
        const auto c = quote_identifier(table.columns[i].name);
        updates += c + " = excluded." + c;
    }
    const std::string conflict = updates.empty() ? "DO NOTHING" : "DO UPDATE SET " + updates;
    const std::string rowid = rowid_name(db_, table);
    const RaisedFlag compiling_apply_statements(connection_.applying());  // compiled without logging
    slot.reset(new TableStatements{
        Statement(db_, state_query(table, column_list(table, "t.") + ", ", rowid)),
        Statement(db_, fmt::format("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT({}) {}", t, column_list(table),
                                   placeholders, key_columns, conflict)),
        Statement(db_, fmt::format("DELETE FROM {} WHERE {}", t, key_match(table, "", "?1"))),
        {},
        {}});
    slot->rowid = rowid;
    if (!rowid.empty()) {
        // Parameters as the upsert's (one per column, in order), then the rowid.
        std::string set, same_key;
        for (std::size_t i = 0; i < table.columns.size(); ++i) {
            const auto column = quote_identifier(table.columns[i].name);
            const auto parameter = fmt::format("?{}", i + 1);
            if (table.is_key_column(table.columns[i].name))
                same_key += fmt::format(" AND {} = {}", column, parameter);
            else
                set += fmt::format("{}{} = {}", set.empty() ? "" : ", ", column, parameter);
        }
        if (!set.empty())
            slot->update_by_rowid.emplace(db_, fmt::format("UPDATE {} SET {} WHERE {} = ?{}{}", t, set, rowid,
                                                           table.columns.size() + 1, same_key));
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
        std::vector<std::string> sorted = columns, key = table.key_columns;
        std::sort(sorted.begin(), sorted.end());
        std::sort(key.begin(), key.end());
        if (!plain || columns.empty() || sorted == key) continue;  // the key's own index
        std::string where;
        for (const auto& c : columns) where += quote_identifier(c) + " = ? AND ";
        const std::string row_key = key_expression(table, "");
        slot->unique_indexes.push_back(
            {columns, Statement(db_, fmt::format("SELECT {0} FROM {1} WHERE {2}{0} IS NOT ?", row_key, t, where))});
    }
    if (slot->unique_indexes.empty()) {
        const std::size_t width = table.columns.size();
        const auto max_variables = static_cast<std::size_t>(sqlite3_limit(db_, SQLITE_LIMIT_VARIABLE_NUMBER, -1));
        slot->group_rows = std::clamp<std::size_t>(max_variables / width, 1, rows_per_group);
        slot->upsert_group.emplace(db_, fmt::format("INSERT INTO {} ({}) VALUES {} ON CONFLICT({}) {}", t,
                                                    column_list(table), values_list(placeholders, slot->group_rows),
                                                    key_columns, conflict));
    }
    return *slot;
}

RecordState RecordStore::state(const TableInfo& table, const std::string& key, std::int64_t* rowid,
                               std::int64_t unstamped_time, std::optional<StoredVersion>* stored) {
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
    if (stored) *stored = found.stored;
    s.reset();
    return derive_state(std::move(row), table.timestamp_column, found.tombstone, found.stored, unstamped_time);
}

RecordState RecordStore::state(const TableInfo& table, const std::string& key, std::int64_t& rowid, Lineage& lineage) {
    std::optional<StoredVersion> stored;
    RecordState found = state(table, key, &rowid, now_ms(), &stored);
    lineage = captured_lineage(found, stored, origin_);  // a change not captured yet was made here
    return found;
}

std::optional<RecordState> RecordStore::recorded_state(const TableInfo& table, const std::string& key,
                                                        std::int64_t& rowid, Lineage& lineage) {
    auto& st = statements(table);
    // No row columns: the key's index alone says whether there is a row and
    // where (it holds the rowid), so the table itself is not read.
    if (!st.select_recorded) st.select_recorded.emplace(db_, state_query(table, "", st.rowid));
    auto& s = *st.select_recorded;
    s.bind(1, table.name).bind(2, key);
    s.step();  // always exactly one row
    const StateColumns found = read_state_columns(s, 0);
    s.reset();
    rowid = found.rowid;
    RecordState recorded;
    if (!found.has_row)
        recorded = derive_state(std::nullopt, table.timestamp_column, found.tombstone, found.stored);
    else if (!found.stored || found.stored->deleted)
        return std::nullopt;  // a row with no version of its own: read it
    else
        recorded = recorded_row_state(*found.stored);
    lineage = captured_lineage(recorded, found.stored, origin_);
    return recorded;
}

bool RecordStore::holds_nothing_of(const TableInfo& table) {
    Statement s(db_, fmt::format("SELECT EXISTS (SELECT 1 FROM {}) OR EXISTS (SELECT 1 FROM _nas_sync_versions "
                                 "WHERE tableName = ?1) OR EXISTS (SELECT 1 FROM _tombstone WHERE tableName = ?1)",
                                 quote_identifier(table.name)));
    s.bind(1, table.name);
    s.step();
    return s.integer(0) == 0;
}

std::size_t RecordStore::unique_indexes(const TableInfo& table) { return statements(table).unique_indexes.size(); }

const std::vector<std::string>& RecordStore::unique_index_columns(const TableInfo& table, std::size_t index) {
    return statements(table).unique_indexes.at(index).columns;
}

std::vector<std::string> RecordStore::unique_holders(const TableInfo& table, std::size_t index_number,
                                                     const std::string& key, const RowImage& row) {
    auto& index = statements(table).unique_indexes.at(index_number);
    std::vector<std::string> others;
    for (std::size_t i = 0; i < index.columns.size(); ++i) {
        const Value* v = row.find(index.columns[i]);
        if (!v || std::holds_alternative<Null>(*v)) {  // NULLs never collide
            index.find_other.reset();
            return others;
        }
        index.find_other.bind(static_cast<int>(i + 1), *v);
    }
    index.find_other.bind(static_cast<int>(index.columns.size() + 1), key);
    while (index.find_other.step())
        if (!index.find_other.is_null(0)) others.push_back(index.find_other.text(0));
    index.find_other.reset();
    return others;
}

void RecordStore::store_version(const std::string& table, const std::string& key, const Version& v,
                                const Lineage& lineage, bool known_absent) {
    digests_.before_write(table, key, v.deletion, v.content_hash, known_absent);
    try {
        cache_.use(store_one_version_sql)
            ->bind(1, table).bind(2, key).bind(3, v.time_ms).bind(4, std::int64_t{v.deletion ? 1 : 0})
            .bind(5, static_cast<std::int64_t>(v.content_hash))
            .bind(6, static_cast<std::int64_t>(lineage.origin)).bind(7, static_cast<std::int64_t>(lineage.base)).run();
    } catch (...) {
        digests_.forget_write();
        throw;
    }
    digests_.after_write();
}

void RecordStore::write_versions(Statement& statement, std::size_t width) {
    for (std::size_t row = 0; row < staged_versions_.size(); row += version_columns)
        digests_.before_write(std::get<std::string>(staged_versions_[row]),
                              std::get<std::string>(staged_versions_[row + 1]),
                              std::get<std::int64_t>(staged_versions_[row + 3]) != 0,
                              static_cast<std::uint64_t>(std::get<std::int64_t>(staged_versions_[row + 4])),
                              staged_absent_[row / version_columns] != 0);
    staged_absent_.clear();
    try {
        write_row_by_row(statement, staged_versions_, width);
    } catch (...) {
        digests_.forget_write();
        throw;
    }
    digests_.after_write();
}

void RecordStore::set_tombstone(const std::string& table, const std::string& key, std::int64_t time_ms) {
    cache_.use("INSERT OR REPLACE INTO _tombstone (tableName, recordId, deletedAt) VALUES (?, ?, ?)")
        ->bind(1, table).bind(2, key).bind(3, format_timestamp_ms(time_ms)).run();
}

void RecordStore::remove_tombstone(const std::string& table, const std::string& key) {
    cache_.use("DELETE FROM _tombstone WHERE tableName = ? AND recordId = ?")->bind(1, table).bind(2, key).run();
}

void RecordStore::apply_row(const TableInfo& table, const std::string& key, const RecordState& remote,
                            const Lineage& lineage, bool had_tombstone, std::int64_t rowid, bool known_absent) {
    auto& st = statements(table);
    const RowImage& row = *remote.row;
    if (st.upsert_group) {
        if (!(rowid != 0 && update_in_place(st, table, row, rowid))) {
            // Staged: nothing reads this table's other keys before end_apply writes it.
            for (const auto& column : table.columns) {
                const Value* v = row.find(column.name);
                st.staged.push(v ? *v : null_value);  // a copy: the row goes back to its reading thread
            }
            if (st.staged.size() == st.group_rows * table.columns.size())
                write_rows(*st.upsert_group, st.staged);
            else if (st.staged.bytes() >= max_staged_bytes)  // large values: fewer rows to a write
                write_row_by_row(st.upsert, st.staged, table.columns.size());
        }
        stage_version(table.name, key, remote.version, lineage, known_absent);
    } else {
        for (std::size_t i = 0; i < table.columns.size(); ++i) {
            const Value* v = row.find(table.columns[i].name);
            st.upsert.bind(static_cast<int>(i + 1), v ? *v : null_value);
        }
        st.upsert.run();
        store_version(table.name, key, remote.version, lineage, known_absent);
    }
    if (had_tombstone) remove_tombstone(table.name, key);
    if (watched(watched_children_, table)) events_.applied.emplace_back(&table, key);
}

bool RecordStore::watched(const std::vector<std::string>& tables, const TableInfo& table) {
    return std::find(tables.begin(), tables.end(), table.name) != tables.end();
}

void RecordStore::watch(std::vector<std::string> watched_parents, std::vector<std::string> watched_children) {
    watched_parents_ = std::move(watched_parents);
    watched_children_ = std::move(watched_children);
}

// Written with the next whole group of versions; the rest by
// write_staged_versions() (end_apply, or ChangeCapture).
void RecordStore::stage_version(const std::string& table, const std::string& key, const Version& v,
                                const Lineage& lineage, bool known_absent) {
    staged_absent_.push_back(known_absent ? 1 : 0);
    staged_versions_.push(table);
    staged_versions_.push(key);
    staged_versions_.push(v.time_ms);
    staged_versions_.push(std::int64_t{v.deletion ? 1 : 0});
    staged_versions_.push(static_cast<std::int64_t>(v.content_hash));
    staged_versions_.push(static_cast<std::int64_t>(lineage.origin));
    staged_versions_.push(static_cast<std::int64_t>(lineage.base));
    if (staged_versions_.size() == rows_per_group * version_columns) {
        if (!versions_group_)
            versions_group_.emplace(db_, fmt::format(store_version_sql, values_list(version_placeholders, rows_per_group)));
        write_versions(*versions_group_, staged_versions_.size());
    }
}

void RecordStore::write_staged_versions() { write_versions(*cache_.use(store_one_version_sql), version_columns); }

// The row that `rowid` names, when it still holds `row`'s key, rewritten in
// place; false when it does not (then nothing was written).
bool RecordStore::update_in_place(TableStatements& st, const TableInfo& table, const RowImage& row,
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

void RecordStore::apply_deletion(const TableInfo& table, const std::string& key, const Version& version,
                                 const Lineage& lineage) {
    statements(table).delete_row.bind(1, key).run();
    record_deletion_time(table, key, version, lineage);
}

void RecordStore::record_deletion_time(const TableInfo& table, const std::string& key, const Version& version,
                                       const Lineage& lineage, bool known_absent) {
    set_tombstone(table.name, key, version.time_ms);
    store_version(table.name, key, version, lineage, known_absent);
    if (watched(watched_parents_, table)) events_.deleted.emplace_back(&table, key);
}

void RecordStore::delete_as_local_change(const TableInfo& table, const std::string& key, const Version& removed,
                                         Stamp stamp) {
    const std::int64_t after = later_than(removed.time_ms);
    const Version deletion{stamp == Stamp::now ? std::max(now_ms(), after) : after, true, 0};
    apply_deletion(table, key, deletion, local_change_lineage(table.name, key));
    local_changes_.push_back({table.name, key, "DELETE"});
}

void RecordStore::record_update_as_local_change(const TableInfo& table, const std::string& key, const Version& replaced) {
    const RecordState now = state(table, key);
    if (now.kind != RecordState::Kind::row) return;
    store_version(table.name, key, {later_than(replaced.time_ms), false, content_hash(*now.row)},
                  local_change_lineage(table.name, key));
    local_changes_.push_back({table.name, key, "UPDATE"});
}

Lineage RecordStore::local_change_lineage(const std::string& table, const std::string& key) {
    return change_lineage(read_stored_version(cache_, table, key), origin_);
}

void RecordStore::record_baseline(const TableInfo& table, Bookkeeping& bookkeeping) {
    if (bookkeeping.baseline_recorded(table.name)) return;
    std::vector<std::string> keys;
    {
        Statement all(db_, fmt::format("SELECT {} FROM {} UNION SELECT recordId FROM _tombstone WHERE tableName = ?",
                                       key_expression(table, ""), quote_identifier(table.name)));
        all.bind(1, table.name);
        while (all.step())
            if (!all.is_null(0)) keys.push_back(all.text(0));
    }
    for (const auto& key : keys) {
        if (read_stored_version(cache_, table.name, key)) continue;
        // A row of a table without a timestamp that was there before has no
        // known time: every client that holds the same row then holds the
        // same version, and nothing moves for it.
        // Made here, on itself: the same row may be in every client's copy of
        // one database, and another's edit of it (made on that state) is then
        // no conflict, while rows made apart before syncing are.
        const RecordState s = state(table, key, nullptr, unknown_time);
        if (s.kind != RecordState::Kind::absent)
            store_version(table.name, key, s.version, {origin_, version_fingerprint(s.version)});
    }
    bookkeeping.set_baseline_recorded(table.name);
}

// Binds `values` to a statement with as many parameters, runs it, and empties them.
void RecordStore::write_rows(Statement& statement, StagedValues& values) {
    write_row_by_row(statement, values, values.size());
}

// Runs `single` once per `width` values, and empties them.
void RecordStore::write_row_by_row(Statement& single, StagedValues& values, std::size_t width) {
    for (std::size_t row = 0; row < values.size(); row += width) {
        for (std::size_t i = 0; i < width; ++i) single.bind_borrowed(static_cast<int>(i + 1), values[row + i]);
        single.run();
    }
    values.clear();
}

void RecordStore::begin_apply() {
    local_changes_.clear();
    events_ = {};
}

// What is staged and not yet a whole group.
void RecordStore::end_apply() {
    for (const auto& table : tables_) {
        const auto found = statements_.find(table.name);
        if (found != statements_.end())
            write_row_by_row(found->second->upsert, found->second->staged, table.columns.size());
    }
    write_staged_versions();
}

void RecordStore::abort_apply() {
    for (auto& [name, st] : statements_) st->staged.clear();
    discard_staged_versions();
    digests_.discard();
    local_changes_.clear();
    events_ = {};
}

}  // namespace nas_sync
