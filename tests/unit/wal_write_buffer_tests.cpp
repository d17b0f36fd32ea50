// The buffered-WAL VFS against SQLite's own: what a connection on it commits
// is at once readable by a connection on the default VFS, including
// transactions that spill pages to the WAL and read or rewrite them before
// committing; a write that fails fails the commit (through a VFS that
// injects the failure); and, at the file level, when buffered frames go out.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>
#include <vector>

#include "database/wal_write_buffer.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;

namespace {

sqlite3* open(const fs::path& file, const char* vfs) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs) == SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

int run(sqlite3* db, const std::string& sql) { return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr); }

std::string text(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
    std::string out;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return out;
}

// Our connection as engine/local/connection.cpp sets it up, minus the checkpoints: every
// commit stays in the WAL, where the reader must find it.
sqlite3* open_buffered(const fs::path& file, int cache_pages, const char* vfs = nas_sync::buffered_wal_vfs()) {
    sqlite3* db = open(file, vfs);
    REQUIRE(text(db, "PRAGMA journal_mode = WAL") == "wal");
    REQUIRE(run(db, "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = " +
                        std::to_string(cache_pages)) == SQLITE_OK);
    return db;
}

// Rows `from`..`to`-1 with 400-byte values, in one transaction.
std::string insert_rows(int from, int to) {
    return "WITH RECURSIVE n(i) AS (SELECT " + std::to_string(from) + " UNION ALL SELECT i + 1 FROM n WHERE i < " +
           std::to_string(to - 1) + ") INSERT INTO t SELECT i, printf('%0400d', i) FROM n";
}

// A fault-injecting VFS under ours: the WAL's next write of more than one
// frame (a buffer of them) fails once, when armed.
bool fail_next_large_write = false;
sqlite3_vfs failing_writes_vfs{};
sqlite3_io_methods failing_wal_methods{};

struct FailingWalFile {
    sqlite3_file base;
    sqlite3_file* real;
};
sqlite3_file* real_file(sqlite3_file* f) { return reinterpret_cast<FailingWalFile*>(f)->real; }
sqlite3_vfs* default_vfs() { return static_cast<sqlite3_vfs*>(failing_writes_vfs.pAppData); }

void register_buffered_over_failing_writes() {
    if (sqlite3_vfs_find("buffered-over-failing-writes-for-test")) return;
    failing_wal_methods.iVersion = 1;
    failing_wal_methods.xClose = [](sqlite3_file* f) { return real_file(f)->pMethods->xClose(real_file(f)); };
    failing_wal_methods.xRead = [](sqlite3_file* f, void* data, int n, sqlite3_int64 at) {
        return real_file(f)->pMethods->xRead(real_file(f), data, n, at);
    };
    failing_wal_methods.xWrite = [](sqlite3_file* f, const void* data, int n, sqlite3_int64 at) {
        if (fail_next_large_write && n > 4096 + 24) {
            fail_next_large_write = false;
            return SQLITE_IOERR_WRITE;
        }
        return real_file(f)->pMethods->xWrite(real_file(f), data, n, at);
    };
    failing_wal_methods.xTruncate = [](sqlite3_file* f, sqlite3_int64 size) {
        return real_file(f)->pMethods->xTruncate(real_file(f), size);
    };
    failing_wal_methods.xSync = [](sqlite3_file* f, int flags) { return real_file(f)->pMethods->xSync(real_file(f), flags); };
    failing_wal_methods.xFileSize = [](sqlite3_file* f, sqlite3_int64* size) {
        return real_file(f)->pMethods->xFileSize(real_file(f), size);
    };
    failing_wal_methods.xLock = [](sqlite3_file* f, int lock) { return real_file(f)->pMethods->xLock(real_file(f), lock); };
    failing_wal_methods.xUnlock = [](sqlite3_file* f, int lock) {
        return real_file(f)->pMethods->xUnlock(real_file(f), lock);
    };
    failing_wal_methods.xCheckReservedLock = [](sqlite3_file* f, int* out) {
        return real_file(f)->pMethods->xCheckReservedLock(real_file(f), out);
    };
    failing_wal_methods.xFileControl = [](sqlite3_file* f, int op, void* arg) {
        return real_file(f)->pMethods->xFileControl(real_file(f), op, arg);
    };
    failing_wal_methods.xSectorSize = [](sqlite3_file* f) { return real_file(f)->pMethods->xSectorSize(real_file(f)); };
    failing_wal_methods.xDeviceCharacteristics = [](sqlite3_file* f) {
        return real_file(f)->pMethods->xDeviceCharacteristics(real_file(f));
    };
    // The default VFS with WAL files opened through the methods above.
    failing_writes_vfs = *sqlite3_vfs_find(nullptr);
    failing_writes_vfs.pNext = nullptr;
    failing_writes_vfs.pAppData = sqlite3_vfs_find(nullptr);
    failing_writes_vfs.zName = "failing-writes-for-test";
    failing_writes_vfs.szOsFile = static_cast<int>(sizeof(FailingWalFile)) + default_vfs()->szOsFile;
    failing_writes_vfs.xOpen = [](sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out) {
        if (!(flags & SQLITE_OPEN_WAL)) return default_vfs()->xOpen(default_vfs(), name, f, flags, out);
        auto* file = new (f) FailingWalFile{{nullptr}, reinterpret_cast<sqlite3_file*>(reinterpret_cast<FailingWalFile*>(f) + 1)};
        const int rc = default_vfs()->xOpen(default_vfs(), name, file->real, flags, out);
        if (file->real->pMethods) file->base.pMethods = &failing_wal_methods;
        return rc;
    };
    REQUIRE(sqlite3_vfs_register(&failing_writes_vfs, 0) == SQLITE_OK);
    nas_sync::register_buffered_wal_vfs("buffered-over-failing-writes-for-test", &failing_writes_vfs);
}

}  // namespace

TEST_CASE("the buffered WAL file: frames wait in memory until a commit frame, a read of them, or a sync") {
    nas_sync::test::TempDir dir;
    const fs::path file = dir.path() / "db.sqlite-wal";
    std::ofstream(dir.path() / "db.sqlite");  // the default VFS gives a WAL its database's permissions
    sqlite3_vfs* vfs = sqlite3_vfs_find(nas_sync::buffered_wal_vfs());
    REQUIRE(vfs);
    std::vector<char> storage(static_cast<std::size_t>(vfs->szOsFile));
    auto* f = reinterpret_cast<sqlite3_file*>(storage.data());
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_WAL;
    REQUIRE(vfs->xOpen(vfs, file.c_str(), f, flags, nullptr) == SQLITE_OK);
    auto on_disk = [&] { return fs::file_size(file); };
    // A frame: its header (the second field is the database size after a commit, 0 otherwise), then its page.
    auto write_frame = [&](int frame, bool commit, char fill) {
        std::array<unsigned char, 24> header{};
        header[7] = commit ? 1 : 0;
        const std::vector<char> page(4096, fill);
        const sqlite3_int64 at = 32 + frame * (24 + 4096);
        REQUIRE(f->pMethods->xWrite(f, header.data(), 24, at) == SQLITE_OK);
        REQUIRE(f->pMethods->xWrite(f, page.data(), 4096, at + 24) == SQLITE_OK);
    };
    std::vector<char> header_bytes(32, 'h');
    REQUIRE(f->pMethods->xWrite(f, header_bytes.data(), 32, 0) == SQLITE_OK);
    write_frame(0, false, 'a');
    write_frame(1, false, 'b');
    CHECK(on_disk() == 0);
    // Reading a buffered frame back writes the buffer first.
    std::vector<char> page(4096);
    REQUIRE(f->pMethods->xRead(f, page.data(), 4096, 32 + 24 + 4120) == SQLITE_OK);
    CHECK(page == std::vector<char>(4096, 'b'));
    CHECK(on_disk() == 32 + 2 * 4120);
    // A commit frame goes out at once, with what was buffered before it.
    write_frame(2, false, 'c');
    write_frame(3, true, 'd');
    CHECK(on_disk() == 32 + 4 * 4120);
    // A sync writes the buffer too.
    write_frame(4, false, 'e');
    CHECK(on_disk() == 32 + 4 * 4120);
    REQUIRE(f->pMethods->xSync(f, SQLITE_SYNC_NORMAL) == SQLITE_OK);
    CHECK(on_disk() == 32 + 5 * 4120);
    REQUIRE(f->pMethods->xClose(f) == SQLITE_OK);
}

TEST_CASE("what a connection on the buffered WAL commits, another connection reads at once and whole") {
    nas_sync::test::TempDir dir;
    const fs::path file = dir.path() / "db.sqlite";
    // 20 pages of cache: a transaction of thousands of rows spills pages to
    // the WAL, reads them back and writes some of them again before its commit.
    sqlite3* writer = open_buffered(file, 20);
    sqlite3* reader = open(file, nullptr);
    REQUIRE(run(writer, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)") == SQLITE_OK);
    int rows = 0;
    for (int round = 0; round < 5; ++round) {
        REQUIRE(run(writer, "BEGIN") == SQLITE_OK);
        REQUIRE(run(writer, insert_rows(rows, rows + 3000)) == SQLITE_OK);
        REQUIRE(run(writer, "UPDATE t SET v = upper(v) || 'x' WHERE id % 7 = " + std::to_string(round)) == SQLITE_OK);
        // Rows at random: pages spilled moments ago, still in the buffer, are read again.
        for (int i = 0; i < 300; ++i)
            REQUIRE(run(writer, "UPDATE t SET v = v || 'y' WHERE id = " + std::to_string(rows + (i * 7919) % 3000)) ==
                    SQLITE_OK);
        REQUIRE(run(writer, "COMMIT") == SQLITE_OK);
        rows += 3000;
        // One small commit too: a single frame, the commit frame.
        REQUIRE(run(writer, "UPDATE t SET v = 'last' WHERE id = " + std::to_string(rows - 1)) == SQLITE_OK);
        CHECK(text(reader, "SELECT count(*) FROM t") == std::to_string(rows));
        for (const char* changed : {"SELECT count(*) FROM t WHERE v LIKE '%x%'", "SELECT sum(length(v)) FROM t"})
            CHECK(text(reader, changed) == text(writer, changed));
        CHECK(text(reader, "SELECT v FROM t WHERE id = " + std::to_string(rows - 1)) == "last");
        CHECK(text(reader, "PRAGMA integrity_check") == "ok");
    }
    CHECK(fs::file_size(file.string() + "-wal") > 5'000'000);  // all of it was read from the WAL
    sqlite3_close(reader);
    sqlite3_close(writer);
}

TEST_CASE("a WAL write that fails makes the commit fail, and the database keeps what was committed before") {
    register_buffered_over_failing_writes();
    nas_sync::test::TempDir dir;
    const fs::path file = dir.path() / "db.sqlite";
    sqlite3* writer = open_buffered(file, 2000, "buffered-over-failing-writes-for-test");
    sqlite3* reader = open(file, nullptr);
    REQUIRE(run(writer, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)") == SQLITE_OK);
    REQUIRE(run(writer, insert_rows(0, 100)) == SQLITE_OK);
    // 3,000 rows of 400 bytes: about 1.4 MB of frames, written as several
    // buffers before the commit frame; the first buffer's write fails.
    fail_next_large_write = true;
    CHECK(run(writer, insert_rows(100, 3100)) != SQLITE_OK);
    CHECK_FALSE(fail_next_large_write);  // the failure was met
    CHECK(sqlite3_get_autocommit(writer) != 0);  // and rolled back
    CHECK(text(reader, "SELECT count(*) FROM t") == "100");
    CHECK(text(reader, "PRAGMA integrity_check") == "ok");
    // The next try goes through.
    REQUIRE(run(writer, insert_rows(100, 3100)) == SQLITE_OK);
    CHECK(text(reader, "SELECT count(*) FROM t") == "3100");
    CHECK(text(reader, "PRAGMA integrity_check") == "ok");
    sqlite3_close(reader);
    sqlite3_close(writer);
}
