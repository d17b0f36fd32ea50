#include "sql_hook.hpp"

#include <sqlite3.h>

#include <nas_sync/error.hpp>

#include <memory>

namespace nas_sync::sql_hook {
namespace {

using Connection = std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)>;

std::string shortened(const std::string& sql) {
    constexpr std::size_t limit = 80;
    return sql.size() > limit ? sql.substr(0, limit) + "..." : sql;
}

// Runs `sql`; SQLite's message when it fails, "" when it does not.
std::string run(sqlite3* db, const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK) return "";
    std::string text = message ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    return text;
}

}  // namespace

void SqlHook::handle(const SyncEvent& event) {
    if (event.kind != SyncEventKind::complete || event.rows_changed == 0) return;
    const std::string path(event.database);
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    Connection db(raw, &sqlite3_close_v2);
    if (rc != SQLITE_OK)
        throw Error(ErrorCode::io, "cannot open database '" + path + "': " + (raw ? sqlite3_errmsg(raw) : "out of memory"));
    sqlite3_busy_timeout(db.get(), busy_timeout_ms);
    // IMMEDIATE: the write lock first, so no statement fails half-way on a lock it cannot upgrade.
    if (const auto problem = run(db.get(), "BEGIN IMMEDIATE"); !problem.empty())
        throw Error(ErrorCode::io, "cannot begin a transaction on '" + path + "': " + problem);
    for (std::size_t i = 0; i < statements_.size(); ++i) {
        const auto problem = run(db.get(), statements_[i]);
        if (problem.empty()) continue;
        const auto rollback = run(db.get(), "ROLLBACK");
        throw Error(ErrorCode::io, "statement " + std::to_string(i) + " (" + shortened(statements_[i]) +
                                       ") failed: " + problem +
                                       (rollback.empty() ? "; the hook's transaction was rolled back"
                                                         : "; rolling back failed too: " + rollback));
    }
    if (const auto problem = run(db.get(), "COMMIT"); !problem.empty()) {
        run(db.get(), "ROLLBACK");  // closing the connection would roll back as well
        throw Error(ErrorCode::io, "cannot commit the hook's statements on '" + path + "': " + problem);
    }
}

}  // namespace nas_sync::sql_hook
