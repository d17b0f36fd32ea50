#include "engine/local/published_copies.hpp"

#include <fmt/format.h>

#include <utility>

#include "database/schema.hpp"
#include "database/statement.hpp"
#include "engine/local/internal_tables.hpp"
#include "engine/tables/record_key.hpp"
#include "nas_sync/error.hpp"

namespace nas_sync {
namespace fs = std::filesystem;

namespace {

// The table names that rows of `table` (keyed by tableName first) name, read
// off its index one seek per name: a scan would read every version on every
// publish, where the names are a handful.
std::vector<std::string> table_names_in(sqlite3* db, const std::string& table) {
    std::vector<std::string> names;
    Statement next(db, "SELECT min(tableName) FROM " + table + " WHERE tableName > ?");
    for (std::string after;;) {
        next.bind(1, after);
        const bool found = next.step() && !next.is_null(0);
        if (found) after = next.text(0);
        next.reset();
        if (!found) return names;
        names.push_back(after);
    }
}

// Empties, in the copy `dest`, what is not for peers: the rows of every table
// that is neither synced nor internal (the table itself stays, empty, so the
// original's clients find the schema they expect), virtual tables (dropped:
// emptying one needs its module's own way), and the change-log rows,
// tombstones, versions, sequences and statistics of those tables. Freed
// pages are zeroed (secure_delete) and, when they are a quarter of the file
// or more, dropped by a VACUUM.
void keep_only_synced(sqlite3* dest, const std::vector<TableInfo>& tables) {
    int ignored = 0;
    sqlite3_db_config(dest, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, &ignored);  // the application's triggers stay out
    exec(dest, "PRAGMA secure_delete = ON; BEGIN; CREATE TEMP TABLE kept_tables (name TEXT PRIMARY KEY)");
    {
        Statement add(dest, "INSERT OR IGNORE INTO temp.kept_tables VALUES (?)");
        for (const auto& table : tables) add.bind(1, table.name).run();
        for (const auto& internal : published_internal_tables) add.bind(1, internal).run();
    }
    const std::string not_kept = "NOT IN (SELECT name FROM temp.kept_tables)";
    std::vector<std::pair<std::string, std::string>> others;  // (name, type)
    {
        Statement list(dest, "SELECT name, type FROM pragma_table_list WHERE schema = 'main' AND type IN "
                             "('table', 'virtual') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name " + not_kept);
        while (list.step()) others.emplace_back(list.text(0), list.text(1));
    }
    for (const auto& [name, type] : others) {
        const std::string table = quote_identifier(name);
        if (type == "virtual")
            exec(dest, "DROP TABLE " + table);
        else if (query_integer(dest, "SELECT EXISTS (SELECT 1 FROM " + table + ")"))
            exec(dest, "DELETE FROM " + table);
    }
    exec(dest, fmt::format("DELETE FROM _changelog WHERE tableName {0}", not_kept));
    for (const char* keyed_by_table : {"_tombstone", "_nas_sync_versions"}) {
        Statement kept(dest, "SELECT 1 FROM temp.kept_tables WHERE name = ?");
        Statement remove(dest, fmt::format("DELETE FROM {} WHERE tableName = ?", keyed_by_table));
        for (const auto& name : table_names_in(dest, keyed_by_table)) {
            kept.bind(1, name);
            const bool keep = kept.step();
            kept.reset();
            if (!keep) remove.bind(1, name).run();
        }
    }
    for (const auto& [statistics, column] : {std::pair{"sqlite_sequence", "name"}, std::pair{"sqlite_stat1", "tbl"},
                                             std::pair{"sqlite_stat4", "tbl"}})
        if (query_integer(dest, fmt::format("SELECT count(*) FROM sqlite_master WHERE name = '{}'", statistics)))
            exec(dest, fmt::format("DELETE FROM {} WHERE {} {}", statistics, column, not_kept));
    exec(dest, "COMMIT; DROP TABLE temp.kept_tables");
    const std::int64_t pages = query_integer(dest, "PRAGMA page_count");
    if (pages > 0 && query_integer(dest, "PRAGMA freelist_count") * 4 >= pages) exec(dest, "VACUUM");
}

}  // namespace

void write_database_copy(Connection& connection, const std::vector<TableInfo>& tables, const fs::path& copy) {
    sqlite3* dest = nullptr;
    if (sqlite3_open_v2(copy.c_str(), &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
        const std::string message = dest ? sqlite3_errmsg(dest) : "out of memory";
        sqlite3_close(dest);
        throw Error(ErrorCode::io, "cannot create a snapshot copy: " + message);
    }
    // A local scratch copy: the transport's put() flushes what reaches the
    // share, and syncing this file protects nothing (0.1-0.15 s per 200 MB).
    sqlite3_exec(dest, "PRAGMA synchronous = OFF", nullptr, nullptr, nullptr);
    sqlite3_backup* backup = sqlite3_backup_init(dest, "main", connection.handle(), "main");
    int rc = backup ? sqlite3_backup_step(backup, -1) : sqlite3_errcode(dest);
    if (backup) sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE) {
        const std::string message = sqlite3_errmsg(dest);
        sqlite3_close(dest);
        throw Error(ErrorCode::io, "cannot copy the database for publishing: " + message);
    }
    rc = sqlite3_exec(dest, "PRAGMA journal_mode = DELETE", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_close(dest);
        throw Error(ErrorCode::io, "cannot finish the snapshot copy");
    }
    try {
        keep_only_synced(dest, tables);
    } catch (const Error& e) {
        sqlite3_close(dest);
        throw Error(ErrorCode::io, std::string("cannot leave the tables that are not synced out of the copy: ") + e.what());
    }
    sqlite3_close(dest);
}

void write_segment(Connection& connection, const std::vector<TableInfo>& tables, std::int64_t from, std::int64_t to,
                   const std::string& schema_version, const fs::path& file) {
    fs::remove(file);
    sqlite3* h = connection.handle();
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
        // Only the synced tables' records: a table synced before may have left rows in the log.
        Statement keys(h, "INSERT OR IGNORE INTO temp._nas_sync_segment_keys "
                          "SELECT tableName, recordId FROM main._changelog WHERE id > ? AND id <= ?");
        keys.bind(1, from).bind(2, to).run();
        {
            std::string synced;
            for (const auto& table : tables) synced += (synced.empty() ? "" : ", ") + quote_literal(table.name);
            exec(h, "DELETE FROM temp._nas_sync_segment_keys WHERE tableName NOT IN (" + synced + ")");
        }
        exec(h, "CREATE TABLE segment._sync_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                "CREATE TABLE segment._tombstone (tableName TEXT NOT NULL, recordId TEXT NOT NULL, deletedAt TEXT NOT NULL, "
                "PRIMARY KEY (tableName, recordId));"
                "CREATE TABLE segment._nas_sync_versions (tableName TEXT NOT NULL, recordId TEXT NOT NULL, "
                "time INTEGER NOT NULL, deleted INTEGER NOT NULL, hash INTEGER NOT NULL, origin INTEGER NOT NULL, "
                "base INTEGER NOT NULL, PRIMARY KEY (tableName, recordId));"
                // CROSS JOIN: one lookup per changed key. Left to the planner, a
                // table of keys without statistics was scanned against ours.
                "INSERT INTO segment._tombstone SELECT t.tableName, t.recordId, t.deletedAt "
                "FROM temp._nas_sync_segment_keys AS k CROSS JOIN main._tombstone AS t "
                "ON t.tableName = k.tableName AND t.recordId = k.recordId;"
                "INSERT INTO segment._nas_sync_versions SELECT v.tableName, v.recordId, v.time, v.deleted, v.hash, "
                "v.origin, v.base "
                "FROM temp._nas_sync_segment_keys AS k CROSS JOIN main._nas_sync_versions AS v "
                "ON v.tableName = k.tableName AND v.recordId = k.recordId;");
        Statement meta(h, "INSERT INTO segment._sync_meta VALUES ('schemaVersion', ?)");
        meta.bind(1, schema_version).run();
        for (const auto& table : tables) {
            const std::string t = quote_identifier(table.name);
            exec(h, fmt::format("CREATE TABLE segment.{0} AS SELECT * FROM main.{0} WHERE 0;"
                                "CREATE INDEX segment.{1} ON {0} ({2});",
                                t, quote_identifier("_nas_sync_key_" + table.name), key_column_list(table)));
            Statement rows(h, fmt::format("INSERT INTO segment.{0} SELECT t.* FROM temp._nas_sync_segment_keys AS k "
                                          "CROSS JOIN main.{0} AS t ON k.tableName = ? AND {1}",
                                          t, key_match(table, "t", "k.recordId")));
            rows.bind(1, table.name).run();
        }
        exec(h, "COMMIT");
    } catch (...) {
        sqlite3_exec(h, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_exec(h, "DETACH DATABASE segment", nullptr, nullptr, nullptr);
        throw;
    }
    exec(h, "DETACH DATABASE segment");
}

}  // namespace nas_sync
