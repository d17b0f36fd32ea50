// Our connection to the application's database, and how it is set up so that
// the application keeps writing at full speed while we sync: WAL, a busy
// timeout, no fsync at our commits, our WAL frames written in large pieces
// (database/wal_write_buffer), and checkpoints moved out of our commits to a
// background thread (database/checkpointer).
//
// The raw handle is for the parts of LocalDatabase (record store, change
// capture, bookkeeping, published copies), which hold the engine's SQL; an
// exchange only calls their typed operations.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "database/statement.hpp"

namespace nas_sync {

class BackgroundCheckpointer;

// How ApplyBatch's write transactions went on this connection, per record,
// kept across batches (a sync applies each peer in a batch of its own). Kept
// apart for records whose row we had, rewritten in place (with random keys
// each changes a page or more of its own), and for new rows (in key order,
// many to a page): a first contact's pace says little about the next sync's.
struct ApplyPace {
    struct PerRecord {
        double commit_ms = 0.02;  // committing; a cautious guess until measured
        double hold_ms = 0;       // applying and committing (0: not measured yet)
    };
    PerRecord had_row, new_row;
    PerRecord& of(bool had) { return had ? had_row : new_row; }
};

class Connection {
public:
    // Opens the database (which must exist) and switches it to WAL.
    explicit Connection(const std::filesystem::path& file);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    sqlite3* handle() const { return db_; }
    const std::filesystem::path& file() const { return file_; }
    void exec(const std::string& sql);

    // While set, our change-log triggers do not log, in statements compiled
    // meanwhile (see the authorizer in connection.cpp): what they would
    // write is a peer's change, not ours.
    bool& applying() { return applying_; }

    // Changes when another connection commits (PRAGMA data_version).
    std::int64_t data_version();
    // Rows changed by this connection since it opened (sqlite3_total_changes64).
    std::int64_t total_changes() const;

    // Has what our commits put in the WAL moved into the database file, in
    // the background, so that the application's next commit does not copy
    // it. Commits call it as the WAL grows; a sync calls it when done.
    void flush_wal();
    // Waits, at most `at_most`, for a checkpoint flush_wal() asked for to end.
    void wait_for_checkpoint(std::chrono::milliseconds at_most);

    ApplyPace& apply_pace() { return apply_pace_; }

    // Called by every WriteTransaction just before it commits (what was
    // gathered in memory for this transaction is written), and when it rolls
    // back (it is forgotten).
    void on_commit(std::function<void()> before_commit, std::function<void()> on_rollback) {
        before_commit_ = std::move(before_commit);
        on_rollback_ = std::move(on_rollback);
    }

private:
    friend class WriteTransaction;  // its commit counts the WAL's frames (see flush_wal)
    void use_wal();
    static constexpr int checkpoint_after_frames = 4096;  // 16 MiB of 4 KiB pages

    std::filesystem::path file_;
    sqlite3* db_ = nullptr;
    std::unique_ptr<BackgroundCheckpointer> checkpointer_;  // started by the first flush_wal()
    int wal_frames_ = 0;  // the WAL's length after our last commit (0: flushed)
    bool applying_ = false;
    std::optional<Statement> data_version_;  // prepared once: asked before every write transaction
    ApplyPace apply_pace_;
    std::function<void()> before_commit_, on_rollback_;
};

// RAII write transaction (BEGIN IMMEDIATE); rolls back unless committed.
// Its commit asks for a background checkpoint once the WAL is long.
class WriteTransaction {
public:
    explicit WriteTransaction(Connection& connection);
    ~WriteTransaction();
    WriteTransaction(const WriteTransaction&) = delete;
    WriteTransaction& operator=(const WriteTransaction&) = delete;
    void commit();

private:
    Connection& connection_;
    bool done_ = false;
};

// RAII read transaction (BEGIN): what is read in it is one snapshot of
// the database, and other writers go on meanwhile.
class ReadTransaction {
public:
    explicit ReadTransaction(Connection& connection);
    ~ReadTransaction();
    ReadTransaction(const ReadTransaction&) = delete;
    ReadTransaction& operator=(const ReadTransaction&) = delete;
    void commit();

private:
    Connection& connection_;
    bool done_ = false;
};

// Sets a flag for the lifetime of a scope.
class RaisedFlag {
public:
    explicit RaisedFlag(bool& flag) : flag_(flag), was_(flag) { flag = true; }
    ~RaisedFlag() { flag_ = was_; }
    RaisedFlag(const RaisedFlag&) = delete;
    RaisedFlag& operator=(const RaisedFlag&) = delete;

private:
    bool& flag_;
    bool was_;
};

}  // namespace nas_sync
