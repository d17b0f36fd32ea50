// A hostile or broken share: what anyone with write access to it can plant
// cannot cut a client off, lock a record, or make nas-sync read or write
// outside the share; every refusal is a warning. Each case is a finding of a
// probe of the engine (issue 18), on real files and a real `fs` share.
#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "engine/journal/journal_layout.hpp"
#include "engine/versions/versions.hpp"
#include "fleet.hpp"

using namespace nas_sync;
using namespace nas_sync::test;
namespace fs = std::filesystem;

namespace {

// A database object of A's journal to plant copies of.
fs::path any_journal_database(const fs::path& folder) {
    for (const auto& e : fs::directory_iterator(folder))
        if (e.path().extension() == ".sqlite") return e.path();
    FAIL("no journal database in " << folder);
    return {};
}

ClientOptions journal() {
    ClientOptions o;
    o.exchange = ExchangeLayout::journal;
    return o;
}

std::vector<std::string> names_in(const fs::path& folder) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(folder)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("hostile share: planted journal names with numbers out of range are ignored with a warning, and never move a client's numbering") {
    Fleet fleet({"A", "B"}, users_schema, journal());
    fleet.write("A", "INSERT INTO users VALUES('a1','x','x@x','2026-01-01T00:00:00Z')");
    fleet.sync_all();
    const fs::path folder = fleet.share() / "journal" / "A";
    fs::copy_file(any_journal_database(folder), folder / "seg-999999999999.sqlite");
    fs::copy_file(any_journal_database(folder), folder / "base-999999999999.sqlite");
    fleet.write("A", "INSERT INTO users VALUES('a2','x','x@x','2026-01-01T00:00:00Z')");
    const auto a = fleet.sync("A");
    CHECK(has_warning(a.warnings, "'journal/A/seg-999999999999.sqlite' on the share is ignored: journal numbers go up to"));
    std::int64_t highest = 0;  // A's own numbering went on: its newest segment is a small number, not 10^12
    for (const auto& e : fs::directory_iterator(folder))
        if (const auto parsed = parse_journal_object_name("journal/A/" + e.path().filename().string()))
            highest = std::max(highest, parsed->number);
    CHECK(highest > 0);
    CHECK(highest < 10);
    const auto b = fleet.sync("B");
    CHECK(has_warning(b.warnings, "'journal/A/base-999999999999.sqlite' on the share is ignored"));
    CHECK(fleet.client("B").status().peers.at(0).unread_changes == 0);
    CHECK(fleet.dump("B")["users"].size() == 2);
    // After the planted names are gone, nothing is stuck either.
    fs::remove(folder / "seg-999999999999.sqlite");
    fs::remove(folder / "base-999999999999.sqlite");
    fleet.write("A", "INSERT INTO users VALUES('a3','x','x@x','2026-01-01T00:00:00Z')");
    fleet.sync_all();
    CHECK(fleet.dump("B")["users"].size() == 3);
}

TEST_CASE("hostile share: a planted base numbered ahead of its client is removed by that client, and readers that took it come back") {
    Fleet fleet({"A", "B"}, users_schema, journal());
    fleet.write("A", "INSERT INTO users VALUES('a1','x','x@x','2026-01-01T00:00:00Z')");
    fleet.sync_all();
    const fs::path folder = fleet.share() / "journal" / "A";
    fs::copy_file(any_journal_database(folder), folder / "base-000500000000.sqlite");
    fleet.sync("B");  // takes the planted base for A's newest: it has read A "up to 500,000,000"
    const auto a = fleet.sync("A");
    CHECK(has_warning(a.warnings, "'journal/A/base-000500000000.sqlite' on the share is not this client's"));
    CHECK_FALSE(fs::exists(folder / "base-000500000000.sqlite"));
    fleet.write("A", "INSERT INTO users VALUES('a2','x','x@x','2026-01-01T00:00:00Z')");
    fleet.sync("A");
    const auto b = fleet.sync("B");
    CHECK(has_warning(b.warnings, "peer 'A': its journal goes up to"));
    CHECK(fleet.dump("B")["users"].size() == 2);
    fleet.sync_all();
    CHECK(fleet.dump("B") == fleet.dump("A"));
}

TEST_CASE("hostile share: a version time of INT64_MAX from a peer is read at the bound, and a later edit does not overflow") {
    for (const auto& options : {ClientOptions{}, journal()}) {
        CAPTURE(static_cast<int>(options.exchange));
        Fleet fleet({"A", "B"}, users_schema, options);
        fleet.write("B", "INSERT INTO users VALUES('u1','planted','p@x','2026-01-01T00:00:00Z')");
        fleet.sync("B");
        // B's recorded version of u1 becomes INT64_MAX (a hostile copy of B's database would carry it as well).
        fleet.write("B", "UPDATE _nas_sync_versions SET time = 9223372036854775807 WHERE recordId = 'u1';"
                         "UPDATE users SET name = 'planted' WHERE id = 'u1'");
        fleet.write("B", "INSERT INTO users VALUES('u2','other','o@x','2026-01-01T00:00:00Z')");
        fleet.sync("B");
        fleet.sync("A");
        CHECK(count(fleet.database("A"), "SELECT time FROM _nas_sync_versions WHERE recordId = 'u1'") <= max_version_time);
        // A later edit on A: its version is made newer than the bound allows, without overflowing.
        fleet.write("A", "UPDATE users SET name = 'edited on A', updatedAt = '2026-02-01T00:00:00Z' WHERE id = 'u1'");
        fleet.sync_all();
        CHECK(count(fleet.database("A"), "SELECT time FROM _nas_sync_versions WHERE recordId = 'u1'") == max_version_time);
        CHECK(fleet.dump("A") == fleet.dump("B"));  // whichever state the bound leaves, every client agrees
        // A deletion at the bound outranks a row at the bound: the record is never locked.
        fleet.write("A", "DELETE FROM users WHERE id = 'u1'");
        fleet.sync_all();
        CHECK(fleet.dump("B")["users"].size() == 1);
        CHECK(fleet.dump("A") == fleet.dump("B"));
    }
}

TEST_CASE("hostile share: a version time of INT64_MAX planted in a peer's copy on the share is clamped as it is read") {
    // B's own capture clamps what it records, so the hostile value is put
    // straight into a copy on the share, as a stranger with write access can.
    Fleet fleet({"B"}, users_schema);
    fleet.write("B", "INSERT INTO users VALUES('u1','planted','p@x','2026-01-01T00:00:00Z')");
    fleet.sync("B");
    const fs::path planted = fleet.share().parent_path() / "planted-max-time.sqlite";
    SQLite::Database(fleet.database("B").string()).exec("VACUUM INTO '" + planted.string() + "'");
    {
        SQLite::Database db(planted.string(), SQLite::OPEN_READWRITE);
        db.exec("UPDATE _nas_sync_versions SET time = 9223372036854775807 WHERE recordId = 'u1';"
                "PRAGMA journal_mode = DELETE;");
    }
    Fleet office({"C"}, users_schema);
    office.sync("C");
    fs::copy_file(planted, office.share() / "client-P.sqlite");
    office.sync("C");  // first contact with P: its whole copy
    REQUIRE(office.dump("C")["users"].size() == 1);
    CHECK(count(office.database("C"), "SELECT time FROM _nas_sync_versions WHERE recordId = 'u1'") == max_version_time);
    // A later edit on C stays at the bound (no `time + 1` past INT64_MAX; UBSan
    // would report it), and C, which then merges P whole, still has one row.
    office.write("C", "UPDATE users SET name = 'edited on C' WHERE id = 'u1'");
    office.sync("C");
    CHECK(count(office.database("C"), "SELECT time FROM _nas_sync_versions WHERE recordId = 'u1'") == max_version_time);
    CHECK(office.dump("C")["users"].size() == 1);
}

TEST_CASE("hostile share: symbolic links on the share are never followed, reading or writing") {
    TempDir outside;
    create_database(outside / "private.sqlite", users_schema);
    {
        SQLite::Database db((outside / "private.sqlite").string(), SQLite::OPEN_READWRITE);
        db.exec("INSERT INTO users VALUES('secret','do not read','s@x','2026-01-01T00:00:00Z')");
    }
    write_file(outside / "keep.txt", "must stay");
    Fleet fleet({"A", "B"}, users_schema);
    fleet.sync_all();
    fs::create_symlink(outside / "private.sqlite", fleet.share() / "client-x.sqlite");
    fs::create_symlink("/etc/shadow", fleet.share() / "client-shadow.sqlite");
    const auto r = fleet.sync("A");
    CHECK(has_warning(r.warnings, "'client-x.sqlite' on the share is a symbolic link"));
    CHECK(has_warning(r.warnings, "'client-shadow.sqlite' on the share is a symbolic link"));
    CHECK(r.bytes_fetched == 0);
    CHECK(fleet.dump("A")["users"].empty());

    // A's own journal folder is a link to an outside folder: A refuses to write there.
    Fleet office({"C"}, users_schema, journal());
    fs::create_directories(office.share() / "journal");
    fs::create_directory_symlink(outside.path(), office.share() / "journal" / "C");
    office.write("C", "INSERT INTO users VALUES('c1','x','x@x','2026-01-01T00:00:00Z')");
    CHECK_THROWS_WITH_AS(office.sync("C"), doctest::Contains("symbolic link on the share"), Error);
    CHECK(names_in(outside.path()) == std::vector<std::string>{"keep.txt", "private.sqlite"});
    CHECK(read_file(outside / "keep.txt") == "must stay");
}

TEST_CASE("hostile share: a peer's rows whose key is NULL, an integer or a blob are skipped with a warning") {
    ClientOptions options;
    options.schema_version = "v1";  // the peer's table has no primary key: only a configured version matches
    Fleet fleet({"A", "P"}, users_schema, options);
    fleet.sync("P");
    // P's copy: its users table has no primary key, and four rows whose keys are not text.
    const fs::path planted = fleet.share().parent_path() / "planted.sqlite";
    SQLite::Database(fleet.database("P").string()).exec("VACUUM INTO '" + planted.string() + "'");
    {
        SQLite::Database db(planted.string(), SQLite::OPEN_READWRITE);
        db.exec("DROP TABLE users; CREATE TABLE users(id, name TEXT, email TEXT, updatedAt TEXT);"
                "INSERT INTO users VALUES('good','text key','g@x','2026-01-01T00:00:00Z'), (NULL,'null key','n@x','2026-01-01T00:00:00Z'),"
                "(42,'integer key','i@x','2026-01-01T00:00:00Z'), (x'00ff','blob key','b@x','2026-01-01T00:00:00Z'),"
                "(4.5,'real key','r@x','2026-01-01T00:00:00Z');"
                "PRAGMA journal_mode = DELETE;");
    }
    fs::copy_file(planted, fleet.share() / "client-P.sqlite", fs::copy_options::overwrite_existing);
    const auto r = fleet.sync("A");  // first contact: P's whole copy
    CHECK(has_warning(r.warnings, "peer 'P': 4 row(s) of table 'users' have a NULL, integer or blob key"));
    const auto users = fleet.dump("A")["users"];
    REQUIRE(users.size() == 1);
    CHECK(users[0]["id"] == "good");
    fleet.write("A", "UPDATE users SET name = 'changed' WHERE id = 'good'");  // the application goes on
}

TEST_CASE("hostile share: an empty read file of a snapshot-only peer does not stop journal clients reading its snapshot") {
    ClientOptions snapshot;
    Fleet fleet({"S"}, users_schema, snapshot);
    fleet.write("S", "INSERT INTO users VALUES('s1','x','x@x','2026-01-01T00:00:00Z')");
    fleet.sync("S");
    fs::create_directories(fleet.share() / "journal" / "S");
    write_file(fleet.share() / "journal" / "S" / "read-000000000001.txt", "");
    ClientOptions on_journal = journal();
    on_journal.transport = fleet.config("S").transport;
    Fleet readers({"J"}, users_schema, on_journal);
    readers.sync("J");
    CHECK(readers.dump("J")["users"].size() == 1);
}

TEST_CASE("hostile share: a sync does not take another client's work folder for a dead process's") {
    // Client "pc-7777" has a sync running: its work folder names a live process.
    const fs::path other = fs::temp_directory_path() / ("nas-sync-pc-7777-" + std::to_string(::getpid()) + "-0badf00d");
    fs::create_directory(other);
    write_file(other / "peer-X.sqlite", "a copy being merged");
    Fleet fleet({"pc"}, users_schema);
    fleet.sync("pc");
    CHECK(fs::exists(other / "peer-X.sqlite"));
    fs::remove_all(other);
}

TEST_CASE("hostile share: a sparse or truncated peer object is refused before it is copied, and not read again until it changes") {
    Fleet fleet({"A", "B"}, users_schema);
    fleet.sync_all();
    // A gigabyte whose header says one page: a sparse file passed off as a database.
    const fs::path sparse = fleet.share() / "client-sparse.sqlite";
    fs::copy_file(fleet.share() / "client-B.sqlite", sparse);
    fs::resize_file(sparse, 1ull << 30);
    auto r = fleet.sync("A");
    CHECK(has_warning(r.warnings, "'client-sparse.sqlite' is refused (torn or sparse database"));
    CHECK(r.bytes_fetched < 1 << 20);
    r = fleet.sync("A");
    CHECK(has_warning(r.warnings, "'client-sparse.sqlite' was refused before and has not changed since"));
    CHECK(r.bytes_fetched == 0);
    // A header that says as much as the file holds, but more than the temporary folder has room for.
    const fs::path huge = fleet.share() / "client-huge.sqlite";
    fs::copy_file(fleet.share() / "client-B.sqlite", huge);
    const std::uint64_t size = 8ull << 40;  // 8 TiB, sparse
    {
        std::fstream f(huge, std::ios::in | std::ios::out | std::ios::binary);
        char header[100];
        f.read(header, sizeof header);
        const std::uint32_t page_size = (static_cast<unsigned char>(header[16]) << 8) | static_cast<unsigned char>(header[17]);
        const std::uint32_t pages = static_cast<std::uint32_t>(size / page_size);
        const char count[4] = {static_cast<char>(pages >> 24), static_cast<char>(pages >> 16), static_cast<char>(pages >> 8),
                               static_cast<char>(pages)};
        f.seekp(28);
        f.write(count, 4);
    }
    fs::resize_file(huge, size);
    r = fleet.sync("A");
    CHECK(has_warning(r.warnings, "'client-huge.sqlite' (8796093022208 bytes) is not copied: the temporary folder"));
    CHECK(r.bytes_fetched < 1 << 20);
    fs::remove(huge);
    // A header as it must be over pages of garbage: found out once copied, and then not copied again either.
    const fs::path garbage = fleet.share() / "client-garbage.sqlite";
    fs::copy_file(fleet.share() / "client-B.sqlite", garbage);
    {
        std::fstream f(garbage, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(100);
        const std::string noise(fs::file_size(garbage) - 100, 'Z');
        f.write(noise.data(), static_cast<std::streamsize>(noise.size()));
    }
    r = fleet.sync("A");
    CHECK(has_warning(r.warnings, "'client-garbage.sqlite' is refused ("));
    CHECK(r.bytes_fetched > 0);
    r = fleet.sync("A");
    CHECK(has_warning(r.warnings, "'client-garbage.sqlite' was refused before and has not changed since"));
    CHECK(r.bytes_fetched == 0);
}

TEST_CASE("hostile share: counts are of rows committed, not of a transaction that rolled back") {
    Fleet fleet({"A", "B"}, users_schema);
    fleet.write("B", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 9) "
                     "INSERT INTO users SELECT 'b' || i, 'row', 'b@x', '2026-01-01T00:00:00Z' FROM n;"
                     "INSERT INTO users VALUES('b9x','boom','b@x','2026-01-01T00:00:00Z')");
    fleet.sync("B");
    // A's application refuses one of those rows: the transaction applying them fails.
    fleet.write("A", "CREATE TRIGGER refuse BEFORE INSERT ON users WHEN NEW.name = 'boom' BEGIN SELECT RAISE(ABORT, 'refused'); END");
    const auto r = fleet.sync("A");
    CHECK(has_warning(r.warnings, "peer 'B' skipped this round"));
    CHECK(r.inserted == count(fleet.database("A"), "SELECT count(*) FROM users"));
    CHECK(r.inserted == 0);
}
