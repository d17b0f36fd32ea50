#include "database/checkpointer.hpp"

#include <fmt/format.h>

#include "nas_sync/error.hpp"

namespace nas_sync {

BackgroundCheckpointer::BackgroundCheckpointer(const std::filesystem::path& database) {
    auto fail = [&](const char* doing, int rc) {
        const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close_v2(db_);
        throw Error(ErrorCode::io, fmt::format("cannot {} database '{}' to checkpoint it: {}", doing,
                                               database.string(), message));
    };
    int rc = sqlite3_open_v2(database.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) fail("open", rc);
    // A connection knows the database is in WAL mode only once it has read it;
    // until then a checkpoint does nothing.
    rc = sqlite3_exec(db_, "SELECT 1 FROM sqlite_master LIMIT 1", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) fail("read", rc);
    thread_ = std::thread([this] { run(); });
}

BackgroundCheckpointer::~BackgroundCheckpointer() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
    sqlite3_close_v2(db_);
}

void BackgroundCheckpointer::request() {
    std::unique_lock lock(mutex_);
    if (!error_.empty()) {
        std::string message = std::move(error_);
        error_.clear();
        throw Error(ErrorCode::io, message);
    }
    requested_ = true;
    changed_.notify_all();
}

void BackgroundCheckpointer::wait_until_idle(std::chrono::milliseconds at_most) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, at_most, [this] { return !requested_ && !running_; });
}

void BackgroundCheckpointer::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        changed_.wait(lock, [this] { return requested_ || stopping_; });
        if (!requested_) return;  // stopping, nothing asked for
        requested_ = false;
        running_ = true;
        lock.unlock();
        // Passive: copies what no reader still needs and never waits; what is
        // left goes with the next request.
        const int rc = sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        lock.lock();
        running_ = false;
        changed_.notify_all();
        if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
            error_ = fmt::format("checkpoint of the WAL failed: {}", sqlite3_errmsg(db_));
    }
}

}  // namespace nas_sync
