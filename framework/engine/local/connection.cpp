#include "engine/local/connection.hpp"

#include <fmt/format.h>

#include <string_view>
#include <thread>

#include "database/checkpointer.hpp"
#include "database/statement.hpp"
#include "database/wal_write_buffer.hpp"
#include "nas_sync/error.hpp"

namespace nas_sync {

namespace {

// While applying, our change-log triggers must not log: what they would write
// is not our change (no echo) and would only be deleted again, at the cost of
// a change-log insert and delete per applied row. Nor must the update
// trigger write its tombstone for a changed key: an applied update never
// changes a key, and the statement would cost a step per applied row for
// nothing. (The delete trigger's tombstone stays: an application's trigger
// may delete a synced row while we apply, and that deletion needs one.) SQLite
// consults the authorizer when it compiles a statement, trigger bodies
// included, and an ignored INSERT is left out of the compiled program; so the
// statements that apply peers' states are compiled (and, after a schema
// change, recompiled) only while `skip` is set. RecordStore::end_apply()
// still drops any row that got logged.
int authorize(void* skip, int action, const char* table, const char*, const char*, const char* trigger) {
    if (!*static_cast<bool*>(skip) || action != SQLITE_INSERT || !table || !trigger) return SQLITE_OK;
    const std::string_view from(trigger), written(table);
    if (written == "_changelog" && from.starts_with("_changelog_after_")) return SQLITE_IGNORE;
    if (written == "_tombstone" && from.starts_with("_changelog_after_update_")) return SQLITE_IGNORE;
    return SQLITE_OK;
}

}  // namespace

Connection::Connection(const std::filesystem::path& file) : file_(file) {
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
    sqlite3_busy_timeout(db_, 10000);
    sqlite3_extended_result_codes(db_, 1);
    try {
        use_wal();
        // Rows arrive in any order; the peer that deleted a parent also sends the
        // deletions its cascade made, so constraints are not enforced while applying.
        exec("PRAGMA foreign_keys = OFF");
        exec("PRAGMA recursive_triggers = OFF");
        exec("PRAGMA cache_size = -32768");  // 32 MB: full merges touch the whole table
        // Reads map the file instead of copying each page out of it: looking up
        // the states of 10,000 random keys of a 500k-row table took half the time.
        // (A mapped file turns an I/O error into a signal; our database is local.)
        exec("PRAGMA mmap_size = 1073741824");
        // No fsync at our commits, which hold the write lock: under the disk load
        // of copying a share's objects one took over 200 ms (the application may
        // wait 100 ms at most). The WAL stays consistent, our checkpoints still
        // sync, and every commit of ours is redone the same way if a power loss
        // takes it back (captures, applies with their progress, publish records;
        // a journal segment number is never reused).
        exec("PRAGMA synchronous = NORMAL");
    } catch (...) {
        sqlite3_close_v2(db_);
        throw;
    }
    // Replaces SQLite's auto-checkpoint, which would copy the WAL inside our
    // COMMIT while we hold the write lock: we count the WAL's frames and leave
    // the copying to a background checkpointer (see WriteTransaction::commit).
    sqlite3_wal_hook(
        db_, [](void* frames, sqlite3*, const char*, int n) { return *static_cast<int*>(frames) = n, SQLITE_OK; },
        &wal_frames_);
}

// WAL lets the application keep writing while we read and publish. Switching
// needs a moment without other connections; SQLite does not wait for it, so we do.
void Connection::use_wal() {
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

Connection::~Connection() {
    checkpointer_.reset();
    data_version_.reset();
    sqlite3_close_v2(db_);
}

void Connection::exec(const std::string& sql) { nas_sync::exec(db_, sql); }

std::int64_t Connection::data_version() {
    if (!data_version_) data_version_.emplace(db_, "PRAGMA data_version");
    data_version_->step();
    const std::int64_t version = data_version_->integer(0);
    data_version_->reset();
    return version;
}

std::int64_t Connection::total_changes() const { return sqlite3_total_changes64(db_); }

void Connection::flush_wal() {
    if (wal_frames_ == 0) return;
    wal_frames_ = 0;
    if (!checkpointer_) checkpointer_ = std::make_unique<BackgroundCheckpointer>(file_);
    checkpointer_->request();
}

void Connection::wait_for_checkpoint(std::chrono::milliseconds at_most) {
    if (checkpointer_) checkpointer_->wait_until_idle(at_most);
}

WriteTransaction::WriteTransaction(Connection& connection) : connection_(connection) { connection_.exec("BEGIN IMMEDIATE"); }

WriteTransaction::~WriteTransaction() {
    if (done_) return;
    sqlite3_exec(connection_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    if (connection_.on_rollback_) connection_.on_rollback_();
}

void WriteTransaction::commit() {
    if (connection_.before_commit_) connection_.before_commit_();
    connection_.exec("COMMIT");
    done_ = true;
    // Copying the WAL in large steps copies a page changed by several commits
    // once and syncs the files less often; flush_wal() copies the rest.
    if (connection_.wal_frames_ >= Connection::checkpoint_after_frames) connection_.flush_wal();
}

ReadTransaction::ReadTransaction(Connection& connection) : connection_(connection) { connection_.exec("BEGIN"); }

ReadTransaction::~ReadTransaction() {
    if (!done_) sqlite3_exec(connection_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void ReadTransaction::commit() {
    connection_.exec("COMMIT");
    done_ = true;
}

}  // namespace nas_sync
