#include "engine/peer/peer_database.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <fstream>

#include "database/schema.hpp"
#include "database/statement.hpp"
#include "engine/tables/record_key.hpp"
#include "nas_sync/error.hpp"

namespace nas_sync {
namespace fs = std::filesystem;

namespace {

std::uint32_t big_endian(const char* p, int bytes) {
    std::uint32_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}

// Turns a WAL-mode header into a rollback-journal one so the private copy
// opens without -wal/-shm files, once the header was found sound.
void check_and_prepare_header(const fs::path& file) {
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec) throw Error(ErrorCode::io, fmt::format("cannot read '{}': {}", file.string(), ec.message()));
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    std::array<char, 100> h{};
    f.read(h.data(), h.size());
    if (const auto problem = sqlite_header_problem(std::string_view(h.data(), static_cast<std::size_t>(f.gcount())), size))
        throw Error(ErrorCode::corrupt, *problem);
    if (h[18] == 2 || h[19] == 2) {
        const char legacy[2] = {1, 1};
        f.clear();
        f.seekp(18);
        f.write(legacy, 2);
        if (!f) throw Error(ErrorCode::io, "cannot prepare the private copy of a peer's database");
    }
}

// A file's path as a SQLite URI: every byte other than letters, digits and
// "/._-~" escaped as %XX, so a '%', '#' or '?' in the temp folder's path (or
// any byte at all) names the file it is and does not start a query string.
std::string file_uri(const fs::path& file) {
    std::string uri = "file:";
    for (const unsigned char c : file.string()) {
        if (std::isalnum(c) || c == '/' || c == '.' || c == '_' || c == '-' || c == '~')
            uri += static_cast<char>(c);
        else
            uri += fmt::format("%{:02X}", c);
    }
    return uri;
}

// Only reads, and only the few functions our own queries use.
int read_only_authorizer(void*, int action, const char*, const char* b, const char*, const char*) {
    switch (action) {
        case SQLITE_SELECT:
        case SQLITE_READ: return SQLITE_OK;
        case SQLITE_FUNCTION: {
            const std::string function = b ? b : "";
            // json_*: composite keys (engine/tables/record_key.hpp); typeof with them.
            static const std::set<std::string> allowed = {"max", "min", "count", "typeof", "json_array",
                                                          "json_extract", "json_valid", "json_type",
                                                          "json_array_length"};
            return allowed.count(function) ? SQLITE_OK : SQLITE_DENY;
        }
        default: return SQLITE_DENY;
    }
}

}  // namespace

std::optional<std::string> sqlite_header_problem(std::string_view h, std::uint64_t size) {
    if (size < 512 || h.size() < 100) return "not a SQLite database (too short)";
    if (h.substr(0, 16) != std::string_view("SQLite format 3\0", 16)) return "not a SQLite database (bad header)";
    std::uint32_t page_size = big_endian(&h[16], 2);
    if (page_size == 1) page_size = 65536;
    if (page_size < 512 || page_size > 65536 || (page_size & (page_size - 1)) != 0)
        return "not a SQLite database (bad page size)";
    if (size % page_size != 0)
        return fmt::format("torn database: {} bytes is not a whole number of {}-byte pages", size, page_size);
    const std::uint32_t change_counter = big_endian(&h[24], 4);
    const std::uint32_t page_count = big_endian(&h[28], 4);
    const std::uint32_t valid_for = big_endian(&h[92], 4);
    if (valid_for == change_counter && static_cast<std::uint64_t>(page_count) * page_size != size)
        return fmt::format("torn or sparse database: its header says {} pages, the file has {}", page_count,
                           size / page_size);
    return std::nullopt;
}

PeerDatabase::PeerDatabase(const fs::path& file, int cache_kib) {
    check_and_prepare_header(file);
    const std::string uri = file_uri(file) + "?immutable=1";
    const int rc = sqlite3_open_v2(uri.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                                   nullptr);
    if (rc != SQLITE_OK) {
        const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw Error(ErrorCode::corrupt, "cannot open: " + message);
    }
    int ignored = 0;
    sqlite3_db_config(db_, SQLITE_DBCONFIG_DEFENSIVE, 1, &ignored);
    sqlite3_db_config(db_, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, &ignored);
    sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, &ignored);
    sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_VIEW, 0, &ignored);
    sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, &ignored);
    sqlite3_extended_result_codes(db_, 1);
    try {
        exec(db_, "PRAGMA query_only = 1");
        exec(db_, fmt::format("PRAGMA cache_size = -{}", cache_kib));
        Statement tables(db_, "SELECT name FROM sqlite_master WHERE type = 'table'");
        while (tables.step()) tables_.insert(tables.text(0));
        keeps_versions_ = tables_.count("_nas_sync_versions") != 0;
        // Column lists are read now, before the authorizer allows only plain reads.
        Statement columns(db_, "SELECT name FROM pragma_table_info(?)");
        for (const auto& table : tables_) {
            columns.bind(1, table);
            auto& list = columns_[table];
            while (columns.step()) list.push_back(columns.text(0));
            columns.reset();
        }
        const auto& versions = columns_["_nas_sync_versions"];
        keeps_lineage_ = keeps_versions_ && std::count(versions.begin(), versions.end(), "origin") != 0 &&
                         std::count(versions.begin(), versions.end(), "base") != 0;
    } catch (...) {
        sqlite3_close(db_);
        throw;
    }
    sqlite3_set_authorizer(db_, read_only_authorizer, nullptr);
    cache_ = StatementCache(db_);
}

PeerDatabase::~PeerDatabase() {
    cache_.clear();
    sqlite3_close_v2(db_);
}

std::string PeerDatabase::schema_version() const {
    if (!tables_.count("_sync_meta")) return "";
    Statement s(db_, "SELECT value FROM _sync_meta WHERE key = 'schemaVersion'");
    return s.step() ? s.text(0) : std::string();
}

PeerDatabase::ChangelogRange PeerDatabase::changelog_range() const {
    ChangelogRange r;
    if (!tables_.count("_changelog")) return r;
    Statement s(db_, "SELECT count(*), min(id), max(id) FROM _changelog");
    if (s.step()) {
        r.count = s.integer(0);
        r.min_id = s.integer(1);
        r.max_id = s.integer(2);
    }
    r.last_id = r.max_id;
    if (tables_.count("sqlite_sequence")) {
        Statement sequence(db_, "SELECT seq FROM sqlite_sequence WHERE name = '_changelog'");
        if (sequence.step()) r.last_id = std::max(r.last_id, sequence.integer(0));
    }
    return r;
}

std::vector<std::pair<std::string, std::string>> PeerDatabase::changed_keys(std::int64_t after_id) const {
    std::vector<std::pair<std::string, std::string>> out;
    if (!tables_.count("_changelog")) return out;
    Statement s(db_, "SELECT tableName, recordId, max(id) AS last FROM _changelog WHERE id > ? "
                     "GROUP BY tableName, recordId ORDER BY last");
    s.bind(1, after_id);
    while (s.step()) out.emplace_back(s.text(0), s.text(1));
    return out;
}

const std::vector<std::string>& PeerDatabase::shared_columns(const TableInfo& table) const {
    auto [slot, added] = shared_columns_.try_emplace(table.name);
    if (!added) return slot->second;
    const auto theirs = columns_.find(table.name);
    if (theirs == columns_.end()) return slot->second;
    for (const auto& c : table.columns)
        if (std::find(theirs->second.begin(), theirs->second.end(), c.name) != theirs->second.end())
            slot->second.push_back(c.name);
    return slot->second;
}

bool PeerDatabase::has_table(const TableInfo& table) const {
    if (!tables_.count(table.name)) return false;
    const auto& columns = shared_columns(table);
    return std::all_of(table.key_columns.begin(), table.key_columns.end(), [&](const std::string& key) {
        return std::find(columns.begin(), columns.end(), key) != columns.end();
    });
}

std::string PeerDatabase::select_columns(const TableInfo& table) const {
    std::string out;
    for (const auto& c : shared_columns(table)) out += (out.empty() ? "t." : ", t.") + quote_identifier(c);
    return out;
}

std::optional<StoredVersion> PeerDatabase::stored_version(const std::string& table, const std::string& key) const {
    if (!keeps_versions_) return std::nullopt;  // the original's clients keep none
    return read_stored_version(cache_, table, key, keeps_lineage_);
}

std::optional<std::string> PeerDatabase::tombstone(const std::string& table, const std::string& key) const {
    if (!tables_.count("_tombstone")) return std::nullopt;
    return read_tombstone(cache_, table, key);
}

// The table's rows in the shared columns, each with its recorded version when
// the copy keeps versions (a join, not a lookup per row; ?1 is the table's
// name). See row_state.
std::string PeerDatabase::rows_sql(const TableInfo& table, const std::string& and_select) const {
    const std::string extra = and_select.empty() ? "" : ", " + and_select;
    if (!keeps_versions_)
        return fmt::format("SELECT {}{} FROM {} AS t", select_columns(table), extra, quote_identifier(table.name));
    return fmt::format("SELECT {}, v.time, v.deleted, v.hash{}{} FROM {} AS t LEFT JOIN _nas_sync_versions AS v "
                       "ON v.tableName = ?1 AND v.recordId = {}",
                       select_columns(table), keeps_lineage_ ? ", v.origin, v.base" : "", extra,
                       quote_identifier(table.name), key_expression(table, "t"));
}

// The state of the row a statement of rows_sql stands on, read into `into`
// (reusing the memory of the row it holds).
void PeerDatabase::read_row_state(const Statement& s, const TableInfo& table, RecordState& into,
                                  Lineage& lineage) const {
    const auto& columns = shared_columns(table);
    const int width = static_cast<int>(columns.size());
    RowImage& row = into.row ? *into.row : into.row.emplace();
    row.columns = columns;  // element by element: the names fit the strings there
    row.values.resize(columns.size());
    for (int i = 0; i < width; ++i) s.read_value(i, row.values[static_cast<std::size_t>(i)]);
    const auto stored = keeps_versions_ ? stored_version_at(s, width, keeps_lineage_) : std::nullopt;
    into = derive_state(std::move(into.row), table.timestamp_column, std::nullopt, stored);
    lineage = lineage_of(into, stored);
}

RecordState PeerDatabase::state(const TableInfo& table, const std::string& key, Lineage* lineage) const {
    if (!has_table(table)) return {};
    if (!canonical_key(table, key)) {  // named by its change log or a tombstone, not a key we could make
        ++skipped_keys_[table.name];
        return {};
    }
    // One statement for a row and its version (the journal's first contact
    // looks up every key its segments changed); its text is made once.
    auto& sql = state_sql_[table.name];
    if (sql.empty()) sql = rows_sql(table) + " WHERE " + key_match(table, "t", "?2");
    {
        auto s = cache_.use(sql);
        s->bind(1, table.name).bind(2, key);
        if (s->step()) {
            RecordState state;
            Lineage found;
            read_row_state(*s, table, state, found);
            if (lineage) *lineage = found;
            return state;
        }
    }
    const auto stored = stored_version(table.name, key);
    RecordState state = derive_state(std::nullopt, table.timestamp_column, tombstone(table.name, key), stored);
    if (lineage) *lineage = lineage_of(state, stored);
    return state;
}

bool PeerDatabase::canonical_key(const TableInfo& table, const std::string& key) const {
    if (!table.composite_key()) return true;
    auto s = cache_.use("SELECT " + canonical_key_sql(table, "?1"));
    s->bind(1, key);
    return s->step() && s->integer(0) != 0;
}

void PeerDatabase::for_each_row(const TableInfo& table, const Visitor& visit) const {
    if (!has_table(table)) return;
    // The key after the row's columns and their version (see read_row_state).
    const int key_index = static_cast<int>(shared_columns(table).size()) + version_columns();
    // In key order, so that our own tables are written in order too (far fewer
    // page splits than random UUID order).
    Statement s(db_, rows_sql(table, key_expression(table, "t")) + " ORDER BY " + key_column_list(table, "t"));
    if (keeps_versions_) s.bind(1, table.name);
    std::string key;
    RecordState state;
    Lineage lineage;
    while (s.step()) {
        if (!s.is_text(key_index)) {  // our keys are text: such a row could not be written, nor changed, here
            ++skipped_keys_[table.name];
            continue;
        }
        s.read_text(key_index, key);
        read_row_state(s, table, state, lineage);
        visit(key, state, lineage);
    }
}

void PeerDatabase::for_each_deletion(const TableInfo& table, const Visitor& visit) const {
    if (!tables_.count("_tombstone") || !has_table(table)) return;
    Statement s(db_, "SELECT recordId FROM _tombstone WHERE tableName = ? AND " + canonical_key_sql(table, "recordId"));
    s.bind(1, table.name);
    std::vector<std::string> keys;
    while (s.step()) keys.push_back(s.text(0));
    for (auto& key : keys) {
        Lineage lineage;
        RecordState st = state(table, key, &lineage);
        if (st.kind == RecordState::Kind::deletion) visit(key, st, lineage);
    }
}

std::int64_t PeerDatabase::record_count(const std::vector<TableInfo>& tables) const {
    std::int64_t count = 0;
    for (const auto& table : tables) {
        if (!has_table(table)) continue;
        count += query_integer(db_, "SELECT count(*) FROM " + quote_identifier(table.name));
        if (tables_.count("_tombstone")) {
            Statement s(db_, "SELECT count(*) FROM _tombstone WHERE tableName = ?");
            s.bind(1, table.name);
            if (s.step()) count += s.integer(0);
        }
    }
    return count;
}

void PeerDatabase::for_each_key(const TableInfo& table, const std::function<void(std::string)>& visit) const {
    if (!has_table(table)) return;
    std::string sql = fmt::format("SELECT {} FROM {}", key_expression(table, ""), quote_identifier(table.name));
    const bool has_tombstones = tables_.count("_tombstone") != 0;
    if (has_tombstones)
        sql += " UNION SELECT recordId FROM _tombstone WHERE tableName = ? AND " + canonical_key_sql(table, "recordId");
    Statement s(db_, sql);
    if (has_tombstones) s.bind(1, table.name);
    while (s.step())
        if (s.is_text(0)) visit(s.text(0));
}

}  // namespace nas_sync
