#include "engine/local/published_copies.hpp"

#include <fmt/format.h>

#include "database/schema.hpp"
#include "database/statement.hpp"
#include "nas_sync/error.hpp"

namespace nas_sync {
namespace fs = std::filesystem;

void write_database_copy(Connection& connection, const fs::path& copy) {
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
    sqlite3_close(dest);
    if (rc != SQLITE_OK) throw Error(ErrorCode::io, "cannot finish the snapshot copy");
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
        meta.bind(1, schema_version).run();
        for (const auto& table : tables) {
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
}

}  // namespace nas_sync
