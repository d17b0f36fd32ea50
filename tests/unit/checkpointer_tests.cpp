// The background checkpointer on a real WAL database: once asked, it copies
// the WAL into the database file on its own thread, and wait_until_idle()
// returns only when that copy is done (ApplyBatch waits on it before a write
// transaction while an application writes, so that no checkpoint's file
// syncs stall the transaction's commit).
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "database/checkpointer.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// A WAL database whose rows (about 16 MiB) are still all in its WAL; the
// returned connection keeps it so (closing the last one would checkpoint).
sqlite3* database_with_full_wal(const fs::path& file) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    const char* sql =
        "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;"
        "CREATE TABLE t(id INTEGER PRIMARY KEY, body BLOB);"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000) "
        "INSERT INTO t SELECT i, randomblob(4000) FROM n;";
    REQUIRE(sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK);
    return db;
}

}  // namespace

TEST_CASE("checkpointer: wait_until_idle returns once the checkpoint asked for has copied the WAL") {
    nas_sync::test::TempDir dir;
    const fs::path file = dir / "db.sqlite";
    sqlite3* writer = database_with_full_wal(file);
    REQUIRE(fs::file_size(file) < 1u << 20);  // the rows are in the WAL
    {
        nas_sync::BackgroundCheckpointer checkpointer(file);
        checkpointer.request();
        checkpointer.wait_until_idle(30s);
        CHECK(fs::file_size(file) > 15u << 20);  // copied into the database file
    }
    sqlite3_close(writer);
}
