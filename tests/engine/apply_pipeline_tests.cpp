// The apply pipeline: our states read outside the write lock (ApplyBatch) and
// the peer's copy read on its own thread (ReadAhead).
#include <doctest/doctest.h>
#include <SQLiteCpp/Database.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "engine/merge/apply_batch.hpp"
#include "engine/merge/read_ahead.hpp"
#include "engine/peer/peer_database.hpp"
#include "nas_sync/error.hpp"
#include "test_support.hpp"

using namespace nas_sync;
using namespace nas_sync::test;
using namespace std::chrono_literals;

namespace {

const TableInfo users{"users", {"id"}, "updatedAt", {{"id", "TEXT", false, 1}, {"name", "TEXT", false, 0},
                                                   {"updatedAt", "TEXT", false, 0}}};

RecordState row_state(const std::string& id, const std::string& name, const std::string& updated_at) {
    return derive_state(RowImage{{"id", "name", "updatedAt"}, {Value(id), Value(name), Value(updated_at)}}, "updatedAt",
                        std::nullopt, std::nullopt);
}

// A local database with the users table, and an ApplyBatch that takes the
// remote state when it is newer (the version rule, without resolvers).
struct Local {
    TempDir dir;
    std::filesystem::path file = dir / "local.sqlite";
    std::unique_ptr<LocalDatabase> db;
    Local() {
        create_database(file, "CREATE TABLE users(id TEXT PRIMARY KEY, name TEXT, updatedAt TEXT);");
        db = std::make_unique<LocalDatabase>(file, std::vector<TableInfo>{users}, "local");
        db->install();
    }
    // With a long min_release, nothing is applied before finish() unless the
    // batch must: what happens between reading and writing is up to the test.
    ApplyBatch batch(std::chrono::milliseconds min_release = std::chrono::hours(1)) {
        return batch(ApplyBatch::Timing{50ms, min_release, 1000});
    }
    ApplyBatch batch(ApplyBatch::Timing timing) {
        return ApplyBatch(*db, [this](PendingRecord& r) {
            if (r.remote.version > r.local.version) db->records().apply_row(*r.table, r.key, r.remote, r.remote_lineage, false, r.local_rowid);
        }, timing);
    }
    std::string name_of(const std::string& id) {
        SQLite::Database app(file.string(), SQLite::OPEN_READONLY);
        return app.execAndGet("SELECT name FROM users WHERE id = '" + id + "'").getString();
    }
};

// Applies one remote row, as a merge does, with the rowid state() gave.
void apply_one(LocalDatabase& db, const TableInfo& table, const std::string& key, const RecordState& remote,
               std::int64_t rowid) {
    WriteTransaction tx(db.connection());
    db.begin_apply();
    db.records().apply_row(table, key, remote, {}, false, rowid);
    db.end_apply();
    tx.commit();
}

// Rows of users our connection wrote in each of its commits, as SQLite's
// hooks on that connection report them: where ApplyBatch's write
// transactions began and ended.
class UsersRowsPerCommit {
public:
    explicit UsersRowsPerCommit(LocalDatabase& db) : db_(db.connection().handle()) {
        sqlite3_update_hook(db_, [](void* self, int, const char*, const char* table, sqlite3_int64) {
            if (std::string_view(table) == "users") ++static_cast<UsersRowsPerCommit*>(self)->written_;
        }, this);
        sqlite3_commit_hook(db_, [](void* self) {
            auto& watch = *static_cast<UsersRowsPerCommit*>(self);
            if (watch.written_ > 0) watch.commits.push_back(std::exchange(watch.written_, 0));
            return 0;
        }, this);
    }
    ~UsersRowsPerCommit() {
        sqlite3_update_hook(db_, nullptr, nullptr);
        sqlite3_commit_hook(db_, nullptr, nullptr);
    }
    UsersRowsPerCommit(const UsersRowsPerCommit&) = delete;
    UsersRowsPerCommit& operator=(const UsersRowsPerCommit&) = delete;
    std::vector<int> commits;

private:
    sqlite3* db_;
    int written_ = 0;
};

void add_new_rows(ApplyBatch& batch, int count) {
    for (int i = 0; i < count; ++i) {
        const std::string key = "k" + std::to_string(i);
        batch.add(users, key, row_state(key, "from the peer", "2026-01-01T00:00:00Z"), {});
    }
}

}  // namespace

TEST_CASE("a state read before the write lock is read again when the application committed meanwhile") {
    Local local;  // empty: a new client, whose lookups are skipped while nobody else commits
    auto batch = local.batch();
    batch.add(users, "k1", row_state("k1", "from the peer", "2026-01-01T00:00:00Z"), {});
    {
        SQLite::Database app(local.file.string(), SQLite::OPEN_READWRITE);
        app.exec("INSERT INTO users VALUES('k1', 'newer, from the application', '2026-06-01T00:00:00Z')");
    }
    batch.finish([] {});
    CHECK(local.name_of("k1") == "newer, from the application");
}

TEST_CASE("a state read before the write lock is read again when another sync of the database applied meanwhile") {
    Local local;
    auto batch = local.batch();
    batch.add(users, "k1", row_state("k1", "older, from one peer", "2026-01-01T00:00:00Z"), {});
    {
        // A second sync of the same database: its applies are not in the change log.
        LocalDatabase other(local.file, {users}, "local");
        apply_one(other, users, "k1", row_state("k1", "newer, from another peer", "2026-06-01T00:00:00Z"), 0);
    }
    batch.finish([] {});
    CHECK(local.name_of("k1") == "newer, from another peer");
}

TEST_CASE("an application commit makes only the keys it changed be read again") {
    Local local;
    SQLite::Database app(local.file.string(), SQLite::OPEN_READWRITE);
    app.exec("INSERT INTO users VALUES('k1', 'ours', '2026-03-01T00:00:00Z'), ('k2', 'ours', '2026-03-01T00:00:00Z')");
    // Three records fill the queue, and a write transaction takes one: k0 is
    // applied (an apply, as other syncs would see it), k1 and k2 wait.
    auto batch = local.batch(ApplyBatch::Timing{0ms, 10ms, 3});
    for (const char* key : {"k0", "k1", "k2"}) batch.add(users, key, row_state(key, "from the peer", "2026-04-01T00:00:00Z"), {});
    REQUIRE(local.name_of("k0") == "from the peer");
    // The application renames k1 and, without a trigger (so without a change
    // log row: what a change of its own would never do), k2: k2's state read
    // before stays in use, k1's is read again.
    app.exec("UPDATE users SET name = 'renamed', updatedAt = '2026-05-01T00:00:00Z' WHERE id = 'k1'");
    app.exec("DROP TRIGGER \"_changelog_after_update_users\"");
    app.exec("UPDATE users SET name = 'renamed', updatedAt = '2026-05-01T00:00:00Z' WHERE id = 'k2'");
    batch.finish([] {});
    CHECK(local.name_of("k1") == "renamed");
    CHECK(local.name_of("k2") == "from the peer");
}

TEST_CASE("after an application write of more rows than are queued, every queued state is read again") {
    Local local;
    SQLite::Database app(local.file.string(), SQLite::OPEN_READWRITE);
    app.exec("INSERT INTO users VALUES('k1', 'ours', '2026-03-01T00:00:00Z')");
    auto batch = local.batch();
    batch.add(users, "k1", row_state("k1", "from the peer", "2026-04-01T00:00:00Z"), {});
    // k1 changed without a change-log row (its trigger dropped), then a bulk
    // write of other keys: the log is not read key by key, k1 is read again.
    app.exec("DROP TRIGGER \"_changelog_after_update_users\"");
    app.exec("UPDATE users SET name = 'renamed', updatedAt = '2026-05-01T00:00:00Z' WHERE id = 'k1'");
    app.exec("INSERT INTO users VALUES('b1', 'bulk', '2026-05-01T00:00:00Z'), ('b2', 'bulk', '2026-05-01T00:00:00Z')");
    batch.finish([] {});
    CHECK(local.name_of("k1") == "renamed");
}

TEST_CASE("a key met twice is applied before its state is read again") {
    Local local;
    auto batch = local.batch(10ms);
    batch.add(users, "k1", row_state("k1", "newer", "2026-06-01T00:00:00Z"), {});
    batch.add(users, "k1", row_state("k1", "older", "2026-01-01T00:00:00Z"), {});
    batch.finish([] {});
    CHECK(local.name_of("k1") == "newer");
}


// Captures what the application wrote, as a sync's first step does.
void capture_all(LocalDatabase& db) {
    WriteTransaction tx(db.connection());
    db.changes().capture();
    tx.commit();
}

TEST_CASE("records are applied before finish() once the queued rows hold max_buffered_bytes") {
    Local local;
    ApplyBatch::Timing timing{50ms, std::chrono::hours(1), 1000};  // nothing applied for time or count
    timing.max_buffered_bytes = 64 * 1024;
    auto batch = local.batch(timing);
    const std::string large(20 * 1024, 'x');  // three stay under the bound, four pass it
    auto applied = [&] {
        SQLite::Database app(local.file.string(), SQLite::OPEN_READONLY);
        return app.execAndGet("SELECT count(*) FROM users").getInt();
    };
    for (int i = 0; i < 3; ++i)
        batch.add(users, "k" + std::to_string(i), row_state("k" + std::to_string(i), large, "2026-01-01T00:00:00Z"), {});
    CHECK(applied() == 0);
    batch.add(users, "k3", row_state("k3", large, "2026-01-01T00:00:00Z"), {});
    CHECK(applied() == 4);
}

TEST_CASE("our state's lineage: a peer's as applied, and ours once the application changed it, captured or not") {
    Local local;
    const std::uint64_t ours = origin_digest("local"), theirs = origin_digest("peer");
    const RecordState from_peer = row_state("k1", "from the peer", "2026-01-01T00:00:00Z");
    {
        WriteTransaction tx(local.db->connection());
        local.db->begin_apply();
        local.db->records().apply_row(users, "k1", from_peer, {theirs, 7}, false);
        local.db->end_apply();
        tx.commit();
    }
    std::int64_t rowid = 0;
    Lineage lineage;
    local.db->records().state(users, "k1", rowid, lineage);
    CHECK(lineage.origin == theirs);
    CHECK(lineage.base == 7);
    // Changed by the application, not captured yet: made here, on the peer's state.
    SQLite::Database app(local.file.string(), SQLite::OPEN_READWRITE);
    app.exec("UPDATE users SET name = 'ours', updatedAt = '2026-02-01T00:00:00Z' WHERE id = 'k1'");
    local.db->records().state(users, "k1", rowid, lineage);
    CHECK(lineage.origin == ours);
    CHECK(lineage.base == version_fingerprint(from_peer.version));
    capture_all(*local.db);
    Lineage captured;
    REQUIRE(local.db->records().recorded_state(users, "k1", rowid, captured));
    CHECK(captured.origin == ours);
    CHECK(captured.base == lineage.base);
}

TEST_CASE("a state from the recorded version alone is the state read with the row, without the row") {
    Local local;
    SQLite::Database app(local.file.string(), SQLite::OPEN_READWRITE);
    app.exec("INSERT INTO users VALUES('row', 'ours', '2026-03-01T00:00:00Z'), ('gone', 'ours', '2026-03-01T00:00:00Z')");
    app.exec("DELETE FROM users WHERE id = 'gone'");
    capture_all(*local.db);
    for (const char* key : {"row", "gone", "never"}) {
        CAPTURE(key);
        std::int64_t rowid = -1, recorded_rowid = -1;
        const RecordState full = local.db->records().state(users, key, &rowid);
        Lineage lineage;
        const auto recorded = local.db->records().recorded_state(users, key, recorded_rowid, lineage);
        REQUIRE(recorded);
        CHECK(recorded->kind == full.kind);
        CHECK(recorded->version == full.version);
        CHECK_FALSE(recorded->row);
        CHECK(recorded_rowid == rowid);
    }
    // A row the application wrote that no capture has recorded yet: only
    // reading it tells its state.
    app.exec("INSERT INTO users VALUES('new', 'ours', '2026-03-01T00:00:00Z')");
    std::int64_t rowid = 0;
    Lineage lineage;
    CHECK_FALSE(local.db->records().recorded_state(users, "new", rowid, lineage));
}

TEST_CASE("without a resolver reading rows, states come from recorded versions, except for keys changed since the last capture") {
    Local local;
    SQLite::Database app(local.file.string(), SQLite::OPEN_READWRITE);
    app.exec("INSERT INTO users VALUES('clean', 'ours', '2026-03-01T00:00:00Z'), ('changed', 'ours', '2026-03-01T00:00:00Z')");
    capture_all(*local.db);
    // Changed after the capture (logged, not captured), before the batch
    // reads it: its recorded version (March) is older than its row (May).
    app.exec("UPDATE users SET name = 'renamed', updatedAt = '2026-05-01T00:00:00Z' WHERE id = 'changed'");
    for (const bool rows_needed : {false, true}) {
        CAPTURE(rows_needed);
        std::vector<std::pair<std::string, bool>> rows_seen;  // key, whether its state had our row
        ApplyBatch batch(*local.db, [&](PendingRecord& r) {
            rows_seen.emplace_back(r.key, r.local.row.has_value());
            if (r.remote.version > r.local.version) local.db->records().apply_row(*r.table, r.key, r.remote, r.remote_lineage, false, r.local_rowid);
        }, ApplyBatch::Timing{50ms, 1h, 1000});
        batch.set_rows_needed([&](const TableInfo&) { return rows_needed; });
        for (const char* key : {"clean", "changed"})
            batch.add(users, key, row_state(key, "from the peer", "2026-04-01T00:00:00Z"), {});
        batch.finish([] {});
        CHECK(rows_seen == std::vector<std::pair<std::string, bool>>{{"clean", rows_needed}, {"changed", true}});
        CHECK(local.name_of("changed") == "renamed");  // its May row beats April
    }
}

TEST_CASE("an existing row is updated where state() found it, and only while that place still holds its key") {
    Local local;
    SQLite::Database app(local.file.string(), SQLite::OPEN_READWRITE);
    app.exec("INSERT INTO users VALUES('k1', 'first', '2026-01-01T00:00:00Z')");
    std::int64_t rowid = 0;
    local.db->records().state(users, "k1", &rowid);
    REQUIRE(rowid != 0);
    apply_one(*local.db, users, "k1", row_state("k1", "second", "2026-02-01T00:00:00Z"), rowid);
    CHECK(local.name_of("k1") == "second");
    CHECK(app.execAndGet("SELECT rowid FROM users WHERE id = 'k1'").getInt64() == rowid);

    // The application moved k1 and gave its old place to another key: the
    // stale rowid must not overwrite that key, and k1 is still updated.
    app.exec("DELETE FROM users WHERE id = 'k1'");
    app.exec("INSERT INTO users(rowid, id, name, updatedAt) VALUES(" + std::to_string(rowid) +
             ", 'k2', 'other key', '2026-01-01T00:00:00Z')");
    app.exec("INSERT INTO users VALUES('k1', 'moved', '2026-02-02T00:00:00Z')");
    apply_one(*local.db, users, "k1", row_state("k1", "third", "2026-03-01T00:00:00Z"), rowid);
    CHECK(local.name_of("k1") == "third");
    CHECK(local.name_of("k2") == "other key");
}

TEST_CASE("rows of a table with a column named rowid, and of a WITHOUT ROWID table, are updated in full") {
    TempDir dir;
    const auto file = dir / "local.sqlite";
    create_database(file, "CREATE TABLE shadow(id TEXT PRIMARY KEY, rowid TEXT, updatedAt TEXT);"
                          "CREATE TABLE plain(id TEXT PRIMARY KEY, name TEXT, updatedAt TEXT) WITHOUT ROWID;"
                          "INSERT INTO shadow VALUES('k1', 'data, not a rowid', '2026-01-01T00:00:00Z');"
                          "INSERT INTO plain VALUES('k1', 'first', '2026-01-01T00:00:00Z');");
    const TableInfo shadow{"shadow", {"id"}, "updatedAt",
                           {{"id", "TEXT", false, 1}, {"rowid", "TEXT", false, 0}, {"updatedAt", "TEXT", false, 0}}};
    const TableInfo plain{"plain", {"id"}, "updatedAt", {{"id", "TEXT", false, 1}, {"name", "TEXT", false, 0},
                                                       {"updatedAt", "TEXT", false, 0}}};
    LocalDatabase db(file, {shadow, plain}, "local");
    db.install();
    std::int64_t shadow_rowid = -1, plain_rowid = -1;
    db.records().state(shadow, "k1", &shadow_rowid);
    db.records().state(plain, "k1", &plain_rowid);
    CHECK(shadow_rowid == 1);  // the real rowid, not the column's text
    CHECK(plain_rowid == 0);   // none: updated through its key
    auto remote = [](const std::string& column, const std::string& value) {
        return derive_state(RowImage{{"id", column, "updatedAt"}, {Value("k1"), Value(value), Value("2026-02-01T00:00:00Z")}},
                            "updatedAt", std::nullopt, std::nullopt);
    };
    apply_one(db, shadow, "k1", remote("rowid", "new data"), shadow_rowid);
    apply_one(db, plain, "k1", remote("name", "second"), plain_rowid);
    SQLite::Database app(file.string(), SQLite::OPEN_READONLY);
    CHECK(app.execAndGet("SELECT rowid || '|' || updatedAt FROM shadow WHERE id = 'k1'").getString() ==
          "new data|2026-02-01T00:00:00Z");
    CHECK(app.execAndGet("SELECT name FROM plain WHERE id = 'k1'").getString() == "second");
}

TEST_CASE("read-ahead hands out what was read, then the reader's error; stopping early ends the reader") {
    ReadAhead failing([](ReadAhead::Sink& emit) {
        for (int i = 0; i < 1000; ++i) emit({&users, "k" + std::to_string(i), RecordState{}});
        throw Error(ErrorCode::corrupt, "page 7 is corrupt");
    });
    std::size_t received = 0;
    std::vector<IncomingRecord> block;
    auto drain = [&] {
        while (failing.next(block)) received += block.size();
    };
    CHECK_THROWS_WITH_AS(drain(), "page 7 is corrupt", Error);
    CHECK(received >= 512);  // whole blocks read before the error
    CHECK_FALSE(failing.left());

    std::atomic<int> emitted{0};
    {
        ReadAhead endless([&](ReadAhead::Sink& emit) {
            for (;;) {
                emit({&users, "k", RecordState{}});
                ++emitted;
            }
        });
        REQUIRE(endless.next(block));
    }  // joins: the reader stopped at its next emit
    CHECK(emitted.load() > 0);
}

// A reader emits a block's worth of records whose keys have the given
// capacities (in as many blocks as their memory makes); the caller gives
// them all back; the reader then takes two blocks more. The capacities of
// the keys the reader got back from those takes.
std::vector<std::size_t> capacities_taken_after_giving_back(const std::vector<std::size_t>& first) {
    REQUIRE(first.size() == ReadAhead::block_size);  // the last record ends a block
    std::promise<void> given_back;
    std::vector<std::size_t> taken;  // written by the reader, read after it finished
    ReadAhead reader([&, done = given_back.get_future().share()](ReadAhead::Sink& emit) {
        RecordState state;
        for (std::size_t i = 0; i < first.size(); ++i) {
            std::string key = "k" + std::to_string(i);
            key.reserve(first[i]);
            emit(emit.take(users, key, state, {}));
        }
        done.wait();
        // The records given back are taken in when the next block is handed
        // over, and the block after gets them.
        for (std::size_t i = 0; i < 2 * ReadAhead::block_size; ++i) {
            std::string key = "m";
            emit(emit.take(users, key, state, {}));
            taken.push_back(key.capacity());
        }
    });
    struct SetOnExit {  // even when a check throws: the reader must not wait forever
        std::promise<void>& promise;
        bool set = false;
        void now() {
            if (set) return;
            promise.set_value();
            set = true;
        }
        ~SetOnExit() { now(); }
    } release{given_back};
    std::vector<std::vector<IncomingRecord>> received;
    std::size_t count = 0;
    for (std::vector<IncomingRecord> block; count < first.size() && reader.next(block);) {
        count += block.size();
        received.push_back(std::move(block));
    }
    REQUIRE(count == first.size());
    CHECK(received[0][1].key == "k1");
    for (auto& block : received) reader.give_back(std::move(block));
    release.now();
    std::size_t after = 0;
    for (std::vector<IncomingRecord> block; reader.next(block);) after += block.size();
    CHECK(after == 2 * ReadAhead::block_size);
    return taken;
}

TEST_CASE("read-ahead gives its reader the memory of the records given back") {
    // 256 keys of 2 KiB: one block, ended by its count (512 KiB is under max_block_bytes).
    const auto taken = capacities_taken_after_giving_back(std::vector<std::size_t>(ReadAhead::block_size, 2048));
    CHECK(std::count_if(taken.begin(), taken.end(), [](std::size_t c) { return c >= 2048; }) > 0);
}

TEST_CASE("read-ahead keeps records given back only up to max_spare_bytes of their memory") {
    // 12 keys of an eighth of the budget each (last, so that each ends a
    // block of its own): at most 8 fit.
    const std::size_t big = ReadAhead::max_spare_bytes / 8;
    std::vector<std::size_t> first(ReadAhead::block_size, 0);
    std::fill(first.end() - 12, first.end(), big);
    const auto taken = capacities_taken_after_giving_back(first);
    const auto reused_big = std::count_if(taken.begin(), taken.end(), [&](std::size_t c) { return c >= big; });
    CHECK(reused_big > 0);
    CHECK(reused_big <= 8);
}

TEST_CASE("read-ahead ends a block once its records hold max_block_bytes, so large rows are read ahead in fewer records") {
    const std::size_t large = ReadAhead::max_block_bytes / 3 + 1;  // the third of them fills a block
    ReadAhead reader([&](ReadAhead::Sink& emit) {
        for (int i = 0; i < 9; ++i) {
            std::string key = "k" + std::to_string(i);
            key.reserve(large);
            RecordState state;
            emit(emit.take(users, key, state, {}));
        }
    });
    std::vector<std::size_t> sizes;
    for (std::vector<IncomingRecord> block; reader.next(block);) sizes.push_back(block.size());
    CHECK(sizes == std::vector<std::size_t>{3, 3, 3});
}

TEST_CASE("read-ahead holds at most max_read_ahead_bytes of blocks beyond one, however large the rows") {
    // Records of 8 MiB each: a block apiece (each is over max_block_bytes).
    const std::size_t large = 8u << 20;
    std::atomic<int> emitted{0};
    ReadAhead reader([&](ReadAhead::Sink& emit) {
        for (int i = 0; i < 40; ++i) {
            std::string key = "k" + std::to_string(i);
            key.reserve(large);
            RecordState state;
            emit(emit.take(users, key, state, {}));
            ++emitted;
        }
    });
    // Nothing taken yet: the reader stops once what it read ahead holds the bound.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int seen = -1;
    while (seen != emitted.load() && std::chrono::steady_clock::now() < deadline) {  // until it stops emitting
        seen = emitted.load();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const std::size_t blocks_allowed = ReadAhead::max_read_ahead_bytes / large + 1;
    CHECK(static_cast<std::size_t>(emitted.load()) <= blocks_allowed + 2);  // plus the one being filled and handed over
    std::size_t records = 0;
    for (std::vector<IncomingRecord> block; reader.next(block);) records += block.size();
    CHECK(records == 40);
}

TEST_CASE("rows staged for a grouped write are written once they hold max_staged_bytes, not only at 64 rows") {
    Local local;
    int written = 0;
    sqlite3_update_hook(local.db->connection().handle(), [](void* n, int, const char*, const char* table, sqlite3_int64) {
        if (std::string_view(table) == "users") ++*static_cast<int*>(n);
    }, &written);
    WriteTransaction tx(local.db->connection());
    local.db->begin_apply();
    const std::string large(3u << 20, 'x');  // three of them pass 8 MiB
    for (int i = 0; i < 3; ++i) {
        const std::string key = "big" + std::to_string(i);
        local.db->records().apply_row(users, key, row_state(key, large, "2026-01-01T00:00:00Z"), {}, false);
    }
    CHECK(written == 3);  // before end_apply
    local.db->end_apply();
    tx.commit();
    sqlite3_update_hook(local.db->connection().handle(), nullptr, nullptr);
    CHECK(local.name_of("big2").size() == large.size());
}

TEST_CASE("a peer's rows read into the memory of records given back are read exactly") {
    TempDir dir;
    const auto file = dir / "peer.sqlite";
    create_database(file, "CREATE TABLE things(id TEXT PRIMARY KEY, label TEXT, n INTEGER, x REAL, data BLOB, updatedAt TEXT);"
                          "INSERT INTO things VALUES ('a', 'short', 1, 1.5, x'0102', '2026-01-01T00:00:00Z'),"
                          "('b', NULL, NULL, NULL, NULL, '2026-01-02T00:00:00Z'),"
                          "('c', 'a label longer than a small string holds without memory of its own', 3, 0.25, x'', "
                          "'2026-01-03T00:00:00Z'), ('d', '', 4, -2.0, x'ff', NULL);");
    const TableInfo things{"things", {"id"}, "updatedAt",
                           {{"id", "TEXT", false, 1}, {"label", "TEXT", false, 0}, {"n", "INTEGER", false, 0},
                            {"x", "REAL", false, 0}, {"data", "BLOB", false, 0}, {"updatedAt", "TEXT", false, 0}}};
    const PeerDatabase snapshot(file);
    std::vector<std::string> seen;
    snapshot.for_each_row(things, [&](std::string& key, RecordState& state, const Lineage&) {
        const RecordState alone = snapshot.state(things, key);
        CHECK(state.kind == alone.kind);
        CHECK(state.version == alone.version);
        REQUIRE(state.row);
        CHECK(state.row->columns == alone.row->columns);
        CHECK(state.row->values == alone.row->values);
        seen.push_back(key);
        // Taken, as ReadAhead::Sink::take does: the next row is read into
        // what a record given back held (another table's row, other types).
        std::string spare_key(100, 'k');
        RecordState spare = derive_state(RowImage{{"id", "name", "updatedAt"}, {Value(std::string(200, 'x')),
                                                  Value(std::int64_t{7}), Value(Blob(300, 1))}},
                                         "updatedAt", std::nullopt, std::nullopt);
        std::swap(key, spare_key);
        std::swap(state, spare);
    });
    CHECK(seen == std::vector<std::string>{"a", "b", "c", "d"});
}

TEST_CASE("read-ahead tells how many records are left to hand out once its reader has finished") {
    std::promise<void> finish;
    ReadAhead reader([done = finish.get_future().share()](ReadAhead::Sink& emit) {
        for (int i = 0; i < 600; ++i) emit({&users, "k" + std::to_string(i), RecordState{}});
        done.wait();
    });
    std::vector<IncomingRecord> block;
    REQUIRE(reader.next(block));  // a whole block: 256
    CHECK_FALSE(reader.left());   // still reading
    finish.set_value();
    std::optional<std::size_t> left;
    for (int wait = 0; wait < 5000 && !left; ++wait) {
        std::this_thread::sleep_for(1ms);
        left = reader.left();
    }
    CHECK(left == std::optional<std::size_t>(600 - 256));
}

TEST_CASE("the pace of new rows and of rewritten rows is learned apart on the connection, from transactions of many records") {
    Local local;
    const auto guess = local.db->connection().apply_pace().new_row;
    REQUIRE(guess.hold_ms == 0);
    auto apply_all = [&](const std::string& name) {
        auto batch = local.batch(200ms);  // applies 1,000 records at a time (the queue is full)
        for (int i = 0; i < 2000; ++i) {
            const std::string key = "k" + std::to_string(i);
            batch.add(users, key, row_state(key, name, "2026-01-0" + std::to_string(i % 2 + 1) + "T00:00:00Z"), {});
        }
        batch.finish([] {});
    };
    apply_all("new");
    const auto new_row = local.db->connection().apply_pace().new_row;
    CHECK(std::isfinite(new_row.commit_ms));
    CHECK(new_row.commit_ms > 0);
    CHECK(new_row.commit_ms != guess.commit_ms);
    CHECK(new_row.hold_ms > 0);
    CHECK(local.db->connection().apply_pace().had_row.hold_ms == 0);  // nothing was rewritten

    apply_all("rewritten");  // newer: every row is rewritten
    REQUIRE(local.name_of("k0") == "rewritten");
    CHECK(local.db->connection().apply_pace().had_row.hold_ms > 0);
    CHECK(local.db->connection().apply_pace().had_row.commit_ms != guess.commit_ms);
    CHECK(local.db->connection().apply_pace().new_row.hold_ms == new_row.hold_ms);

    // Records that write nothing (states we have) do not change it, nor does
    // a commit of a few records (mostly a commit's fixed cost).
    const auto had_row = local.db->connection().apply_pace().had_row;
    apply_all("rewritten");
    CHECK(local.db->connection().apply_pace().had_row.hold_ms == had_row.hold_ms);
    CHECK(local.db->connection().apply_pace().had_row.commit_ms == had_row.commit_ms);
    auto small = local.batch(200ms);
    for (int i = 0; i < 10; ++i) {
        const std::string key = "s" + std::to_string(i);
        small.add(users, key, row_state(key, "from the peer", "2026-01-01T00:00:00Z"), {});
    }
    small.finish([] {});
    CHECK(local.db->connection().apply_pace().new_row.commit_ms == new_row.commit_ms);
    CHECK(local.db->connection().apply_pace().new_row.hold_ms == new_row.hold_ms);
    CHECK(local.db->connection().apply_pace().had_row.hold_ms == had_row.hold_ms);
}

TEST_CASE("the first measured commit time replaces the guess; later ones lower it by half at most") {
    Local local;
    local.db->connection().apply_pace().new_row.commit_ms = 1000;  // a second per record: no commit takes that long
    // 999 records, applied by finish() in one transaction (the queue is never full).
    auto batch = local.batch(ApplyBatch::Timing{1h, 1h, 1000});
    add_new_rows(batch, 999);
    batch.finish([] {});
    const double first = local.db->connection().apply_pace().new_row.commit_ms;
    CHECK(first < 1);
    local.db->connection().apply_pace().new_row.commit_ms = 1000;  // measured before: falls by half
    auto again = local.batch(ApplyBatch::Timing{1h, 1h, 1000});
    for (int i = 0; i < 999; ++i) {
        const std::string key = "n" + std::to_string(i);
        again.add(users, key, row_state(key, "from the peer", "2026-01-01T00:00:00Z"), {});
    }
    again.finish([] {});
    CHECK(local.db->connection().apply_pace().new_row.commit_ms == 500);
}

TEST_CASE("a write transaction opens once the queue holds what one carries, or once reading went on for max_reading") {
    // No release to wait for and no time limit: only the queue decides, and a
    // transaction carries 10 new rows.
    auto commits = [](std::chrono::milliseconds max_reading, int rows) {
        Local local;
        local.db->connection().apply_pace().new_row.hold_ms = 360000;  // a tenth of an hour each
        UsersRowsPerCommit watch(*local.db);
        auto batch = local.batch(ApplyBatch::Timing{1h, 0ms, 1000, max_reading, 1h});
        add_new_rows(batch, rows);
        batch.finish([] {});
        return watch.commits;
    };
    CHECK(commits(1h, 25) == std::vector<int>{10, 10, 5});
    CHECK(commits(0ms, 3) == std::vector<int>{1, 1, 1});
}

TEST_CASE("the last write transaction takes the whole rest when it fits in max_last_hold, and only the last") {
    // A transaction of one second carries 10 new rows, but each commit is
    // predicted to take a second: every transaction runs out of time after
    // one record. The ones add() opens stop there, the last one goes on.
    auto slow_commits = [](LocalDatabase& db) {
        db.connection().apply_pace().new_row.commit_ms = 1000;
        db.connection().apply_pace().new_row.hold_ms = 100;
    };
    Local local;
    slow_commits(*local.db);
    UsersRowsPerCommit watch(*local.db);
    auto batch = local.batch(ApplyBatch::Timing{1000ms, 0ms, 1000, 1h, 1h});
    add_new_rows(batch, 25);
    batch.finish([] {});
    std::vector<int> expected(16, 1);
    expected.push_back(9);
    CHECK(watch.commits == expected);

    Local other;  // the rest does not fit: one record per transaction to the end
    slow_commits(*other.db);
    UsersRowsPerCommit watch_other(*other.db);
    auto short_last = other.batch(ApplyBatch::Timing{1000ms, 0ms, 1000, 1h, 0ms});
    add_new_rows(short_last, 25);
    short_last.finish([] {});
    CHECK(watch_other.commits == std::vector<int>(25, 1));
}

TEST_CASE("records still to come are left to the last write transaction when they all fit in it") {
    // A transaction carries 10 new rows and the last one twice as many: 15
    // records fit in it, 25 do not, but once 10 went, the other 15 do.
    const ApplyBatch::Timing timing{1h, 0ms, 1000, 1h, 2h};
    for (const auto& scenario : {std::pair{15, std::vector<int>{15}}, std::pair{25, std::vector<int>{10, 15}}}) {
        const int to_come = scenario.first;  // not a structured binding: doctest's macros capture it
        const std::vector<int>& expected = scenario.second;
        CAPTURE(to_come);
        Local local;
        local.db->connection().apply_pace().new_row.hold_ms = 360000;
        UsersRowsPerCommit watch(*local.db);
        auto batch = local.batch(timing);
        batch.last_records(static_cast<std::size_t>(to_come));
        add_new_rows(batch, to_come);
        batch.finish([] {});
        CHECK(watch.commits == expected);
    }
}

TEST_CASE("an apply transaction that captured part of the application's changes leaves the rest to capture") {
    Local local;
    {
        SQLite::Database app(local.file.string(), SQLite::OPEN_READWRITE);
        app.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
                 "INSERT INTO users SELECT 'a' || i, 'from the application', '2026-01-01T00:00:00Z' FROM n");
    }
    auto& db = *local.db;
    {
        WriteTransaction tx(db.connection());
        db.changes().capture(1000);  // as a write transaction of ApplyBatch does, bounded
        db.begin_apply();
        db.end_apply();
        tx.commit();
    }
    CHECK(db.bookkeeping().get(StateKey::captured_id) < db.changes().max_changelog_id());
    db.changes().capture_in_slices(1000, 1ms);
    SQLite::Database check(local.file.string(), SQLite::OPEN_READONLY);
    CHECK(check.execAndGet("SELECT count(*) FROM _nas_sync_versions WHERE tableName = 'users'").getInt() == 3000);
}
