#include "engine/local/conflict_log.hpp"

#include "engine/versions/versions.hpp"
#include "nas_sync/error.hpp"

namespace nas_sync {

void ConflictLog::record(const ConflictEvent& e) {
    cache_
        .use("INSERT INTO _nas_sync_conflicts (decidedAt, tableName, recordId, peer, resolution, resolver, localTime, "
             "localDeleted, remoteTime, remoteDeleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        ->bind(1, now_ms())
        .bind(2, e.table)
        .bind(3, e.key)
        .bind(4, e.peer)
        .bind(5, e.resolution)
        .bind(6, e.resolver)
        .bind(7, e.local_time_ms)
        .bind(8, std::int64_t{e.local_deleted})
        .bind(9, e.remote_time_ms)
        .bind(10, std::int64_t{e.remote_deleted})
        .run();
}

void ConflictLog::prune(std::chrono::milliseconds retention) {
    cache_.use("DELETE FROM _nas_sync_conflicts WHERE decidedAt < ?")->bind(1, now_ms() - retention.count()).run();
}

std::vector<LoggedConflict> read_conflict_log(const std::filesystem::path& database, std::int64_t since_ms,
                                              const std::optional<std::string>& table) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        const std::string message = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        throw Error(ErrorCode::io, "cannot open " + database.string() + ": " + message);
    }
    std::vector<LoggedConflict> out;
    try {
        sqlite3_busy_timeout(db, 10000);
        if (query_integer(db, "SELECT count(*) FROM sqlite_master WHERE name = '_nas_sync_conflicts'") == 0) {
            sqlite3_close(db);
            return out;
        }
        Statement s(db, "SELECT decidedAt, tableName, recordId, peer, resolution, resolver, localTime, localDeleted, "
                        "remoteTime, remoteDeleted FROM _nas_sync_conflicts WHERE decidedAt >= ?1 AND (?2 IS NULL OR "
                        "tableName = ?2 COLLATE NOCASE) ORDER BY decidedAt, id");
        s.bind(1, since_ms);
        if (table) s.bind(2, *table);
        while (s.step())
            out.push_back({s.integer(0),
                           {s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.integer(6), s.integer(7) != 0,
                            s.integer(8), s.integer(9) != 0}});
    } catch (...) {
        sqlite3_close(db);
        throw;
    }
    sqlite3_close(db);
    return out;
}

}  // namespace nas_sync
