// The sync engine on real SQLite files and a real folder as the share:
// convergence, no echo, one versioning rule on every path, and the original's
// measured defects (docs/original-format.md) absent.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include "engine/local/published_copies.hpp"
#include "fleet.hpp"
#include "nas_sync/error.hpp"

#include <atomic>
#include <map>
#include <thread>

using namespace nas_sync;
using namespace nas_sync::test;
namespace fs = std::filesystem;

namespace {

void check_converged(Fleet& fleet) {
    const auto first = fleet.dump(fleet.ids()[0]);
    for (const auto& id : fleet.ids()) {
        CAPTURE(id);
        CHECK(fleet.dump(id) == first);
    }
}

}  // namespace

TEST_CASE("two clients: inserts, updates and deletes converge") {
    Fleet fleet({"A", "B"}, users_schema);
    fleet.write("A", "INSERT INTO users VALUES('u1','Alice','a@x','2026-01-01T00:00:01.000Z'),"
                     "('u2','Bob','b@x','2026-01-01T00:00:02.000Z')");
    fleet.write("B", "INSERT INTO users VALUES('u4','Dave','d@x','2026-01-01T00:00:04.000Z')");
    fleet.sync_all();
    CHECK(fleet.dump("A")["users"].size() == 3);
    check_converged(fleet);

    fleet.write("A", "UPDATE users SET name='Alice A.', updatedAt='2026-01-02T00:00:01.000Z' WHERE id='u1'");
    fleet.write("B", "DELETE FROM users WHERE id='u2'");
    const auto a = fleet.sync("A");
    CHECK(a.clients_synced == 1);
    fleet.sync_all();
    check_converged(fleet);
    const auto users = fleet.dump("B")["users"];
    REQUIRE(users.size() == 2);
    CHECK(users[0]["name"] == "Alice A.");
    CHECK(users[1]["id"] == "u4");
}

TEST_CASE("no echo: applied changes are not logged as ours, and a deleted row never comes back") {
    Fleet fleet({"A", "B"}, users_schema);
    fleet.write("A", "INSERT INTO users VALUES('r','Row','r@x','2026-01-01T00:00:00Z')");
    fleet.sync_all();
    CHECK(count(fleet.database("B"), "SELECT count(*) FROM _changelog WHERE tableName = 'users'") == 0);
    fleet.write("A", "DELETE FROM users WHERE id = 'r'");
    for (int round = 0; round < 4; ++round) {
        fleet.sync_all(1);
        CHECK(count(fleet.database("A"), "SELECT count(*) FROM users") == 0);
    }
    CHECK(count(fleet.database("B"), "SELECT count(*) FROM users") == 0);
    CHECK(count(fleet.database("B"), "SELECT count(*) FROM _changelog WHERE tableName = 'users'") == 0);
}

TEST_CASE("applying a peer's rows does not even write them to our change log") {
    Fleet fleet({"A", "B"}, users_schema);
    fleet.write("A", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) "
                     "INSERT INTO users SELECT 'r' || i, 'x', 'e@x', '2026-01-01T00:00:00Z' FROM n");
    fleet.sync_all();
    REQUIRE(fleet.dump("B")["users"].size() == 200);
    // The change log's AUTOINCREMENT counter counts every row ever logged:
    // only B's own heartbeat, not 200 applied rows logged and dropped again.
    CHECK(count(fleet.database("B"), "SELECT seq FROM sqlite_sequence WHERE name = '_changelog'") < 10);
}

TEST_CASE("an empty BLOB syncs as an empty BLOB, not as NULL") {
    Fleet fleet({"A", "B"}, "CREATE TABLE files(id TEXT PRIMARY KEY, data BLOB, updatedAt TEXT);");
    fleet.write("A", "INSERT INTO files VALUES('empty', x'', '2026-01-01T00:00:00Z')");
    fleet.sync_all();
    SQLite::Database b(fleet.database("B").string(), SQLite::OPEN_READONLY);
    CHECK(b.execAndGet("SELECT typeof(data) || length(data) FROM files WHERE id = 'empty'").getString() == "blob0");
}

TEST_CASE("the WAL our commits fill is checkpointed by us, not by the application's next commit") {
    Fleet fleet({"A", "B"}, users_schema);
    fleet.write("A", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
                     "INSERT INTO users SELECT 'r' || i, printf('%.200c', 'x'), 'e@x', '2026-01-01T00:00:00Z' FROM n");
    fleet.sync("A");
    fleet.sync("B");
    // The application is reading while B closes: B's closing then cannot
    // checkpoint (it would need the only connection), so only B's own
    // background checkpoint, which closing waits for, can have moved its pages.
    SQLite::Database app(fleet.database("B").string(), SQLite::OPEN_READWRITE);
    app.exec("BEGIN");
    REQUIRE(app.execAndGet("SELECT count(*) FROM users").getInt() == 5000);
    fleet.close("B");
    app.exec("COMMIT");
    // The WAL's length after the application's next commit: a few frames when
    // everything in it had been moved to the database (the WAL starts over),
    // else hundreds, which the application's auto-checkpoint would copy.
    int frames = -1;
    sqlite3_wal_hook(
        app.getHandle(), [](void* out, sqlite3*, const char*, int n) { return *static_cast<int*>(out) = n, SQLITE_OK; },
        &frames);
    app.exec("INSERT INTO users VALUES('app', 'App', 'a@x', '2026-01-02T00:00:00Z')");
    CHECK(frames > 0);
    CHECK(frames <= 20);
}

// A updates row r with `update_time` while B deletes it; both sync until quiet.
nlohmann::json race_delete_against_update(const std::string& update_time) {
    Fleet fleet({"A", "B"}, users_schema);
    fleet.write("A", "INSERT INTO users VALUES('r','Row','r@x','2026-01-01T00:00:00Z')");
    fleet.sync_all();
    fleet.write("A", "UPDATE users SET name='updated', updatedAt='" + update_time + "' WHERE id='r'");
    fleet.write("B", "DELETE FROM users WHERE id='r'");
    for (int round = 0; round < 3; ++round) fleet.sync_all(1);
    check_converged(fleet);
    return fleet.dump("A")["users"];
}

TEST_CASE("a delete racing an update settles on the higher version, everywhere") {
    SUBCASE("the update is newer") {
        const auto users = race_delete_against_update("2099-01-01T00:00:00Z");
        REQUIRE(users.size() == 1);
        CHECK(users[0]["name"] == "updated");
    }
    SUBCASE("the delete is newer") { CHECK(race_delete_against_update("2026-01-02T00:00:00Z").empty()); }
}

TEST_CASE("a delete beats the row state it removed even when that row's time is ahead of the clock") {
    Fleet fleet({"A", "B"}, users_schema);
    fleet.write("A", "INSERT INTO users VALUES('r','Future','f@x','2099-01-01T00:00:00Z')");
    fleet.sync_all();
    fleet.write("B", "DELETE FROM users WHERE id='r'");
    fleet.sync_all();
    check_converged(fleet);
    CHECK(fleet.dump("A")["users"].empty());
    // and a write made after the delete beats the delete
    fleet.write("A", "INSERT INTO users VALUES('r','Again','g@x','2026-01-01T00:00:00Z')");
    fleet.sync_all();
    check_converged(fleet);
    REQUIRE(fleet.dump("B")["users"].size() == 1);
    CHECK(fleet.dump("B")["users"][0]["name"] == "Again");
}

TEST_CASE("equal timestamps with different content settle the same way on every client") {
    Fleet fleet({"A", "B", "C"}, users_schema);
    fleet.write("A", "INSERT INTO users VALUES('r','Row','r@x','2026-01-01T00:00:00Z')");
    fleet.sync_all();
    fleet.write("A", "UPDATE users SET name='from A' WHERE id='r'");
    fleet.write("B", "UPDATE users SET name='from B' WHERE id='r'");
    fleet.write("C", "UPDATE users SET name='from C' WHERE id='r'");
    fleet.sync_all(3);
    check_converged(fleet);
}

TEST_CASE("timestamps compare by meaning, not as strings") {
    Fleet fleet({"A", "B"}, "CREATE TABLE t(id TEXT PRIMARY KEY, v TEXT, updatedAt);");
    // epoch milliseconds (2026-06-01) against older datetime() text: the integer is newer
    fleet.write("A", "INSERT INTO t VALUES('k1','text','2026-01-01 10:00:00')");
    fleet.write("B", "INSERT INTO t VALUES('k1','epoch ms',1780272000000)");
    // '2026-01-01 10:00:00' (space) is later than '2026-01-01T09:00:00Z' although it sorts first as text
    fleet.write("A", "INSERT INTO t VALUES('k2','space form','2026-01-01 10:00:00')");
    fleet.write("B", "INSERT INTO t VALUES('k2','T form','2026-01-01T09:00:00Z')");
    // an offset: 11:00+02:00 is 09:00Z, earlier than 09:30Z
    fleet.write("A", "INSERT INTO t VALUES('k3','offset','2026-01-01T11:00:00+02:00')");
    fleet.write("B", "INSERT INTO t VALUES('k3','zulu','2026-01-01T09:30:00Z')");
    fleet.sync_all();
    check_converged(fleet);
    const auto rows = fleet.dump("A")["t"];
    CHECK(rows[0]["v"] == "epoch ms");
    CHECK(rows[1]["v"] == "space form");
    CHECK(rows[2]["v"] == "zulu");
}

TEST_CASE("tables with quotes, spaces, hyphens and mixed case sync") {
    Fleet fleet({"A", "B"}, R"(CREATE TABLE "Order Items"(id TEXT PRIMARY KEY, qty INTEGER, updatedAt TEXT);
                               CREATE TABLE "we""ird"(id TEXT PRIMARY KEY, v TEXT, updatedAt TEXT);
                               CREATE TABLE "my-table"(id TEXT PRIMARY KEY, v TEXT, updatedAt TEXT);
                               CREATE TABLE "Robert'); DROP TABLE x;--"(id TEXT PRIMARY KEY, v TEXT, updatedAt TEXT);)");
    fleet.write("A", R"(INSERT INTO "Order Items" VALUES('o1', 3, '2026-01-01T00:00:00Z');
                        INSERT INTO "we""ird" VALUES('w1', 'q', '2026-01-01T00:00:00Z');
                        INSERT INTO "Robert'); DROP TABLE x;--" VALUES('b1', 'bobby', '2026-01-01T00:00:00Z');)");
    fleet.write("B", R"(INSERT INTO "my-table" VALUES('m1', 'h', '2026-01-01T00:00:00Z');)");
    fleet.sync_all();
    check_converged(fleet);
    const auto dump = fleet.dump("B");
    CHECK(dump["Order Items"].size() == 1);
    CHECK(dump["we\"ird"].size() == 1);
    CHECK(dump["Robert'); DROP TABLE x;--"].size() == 1);
    CHECK(fleet.dump("A")["my-table"].size() == 1);
}

TEST_CASE("rows that existed before setup spread through the first-contact full merge") {
    Fleet fleet({"A", "B"}, users_schema);
    fleet.write("A", "INSERT INTO users VALUES('old','Before setup','o@x','2025-01-01T00:00:00Z')");
    fleet.sync_all();
    check_converged(fleet);
    CHECK(fleet.dump("B")["users"].size() == 1);
}

TEST_CASE("a secondary UNIQUE collision keeps the newer row and deletes the other everywhere") {
    Fleet fleet({"A", "B"}, "CREATE TABLE users(id TEXT PRIMARY KEY, email TEXT UNIQUE, updatedAt TEXT);");
    fleet.write("A", "INSERT INTO users VALUES('k1','same@x','2026-01-01T00:00:01Z')");
    fleet.write("B", "INSERT INTO users VALUES('k2','same@x','2026-01-01T00:00:02Z')");
    fleet.sync_all(3);
    check_converged(fleet);
    const auto users = fleet.dump("A")["users"];
    REQUIRE(users.size() == 1);
    CHECK(users[0]["id"] == "k2");
}

TEST_CASE("foreign keys with ON DELETE CASCADE, rows arriving in any order") {
    const char* schema = R"(CREATE TABLE parent(id TEXT PRIMARY KEY, name TEXT, updatedAt TEXT);
        CREATE TABLE child(id TEXT PRIMARY KEY, parentId TEXT REFERENCES parent(id) ON DELETE CASCADE, updatedAt TEXT);)";
    Fleet fleet({"A", "B"}, schema);
    fleet.write("A", "INSERT INTO parent VALUES('p1','P','2026-01-01T00:00:00Z');"
                     "INSERT INTO child VALUES('c1','p1','2026-01-01T00:00:00Z');"
                     "INSERT INTO parent VALUES('p2','P2','2026-01-01T00:00:00Z');"
                     "INSERT INTO child VALUES('c2','p2','2026-01-01T00:00:00Z');");
    fleet.sync_all();
    check_converged(fleet);
    fleet.write("A", "DELETE FROM parent WHERE id='p1'");  // cascades to c1
    fleet.sync_all();
    check_converged(fleet);
    const auto dump = fleet.dump("B");
    CHECK(dump["parent"].size() == 1);
    CHECK(dump["child"].size() == 1);
    CHECK(count(fleet.database("B"), "SELECT count(*) FROM pragma_foreign_key_check") == 0);
}

TEST_CASE("a peer with another schema version is skipped and reported") {
    Fleet fleet({"A", "B"}, users_schema);
    fleet.sync("A");
    Fleet other({"C"}, "CREATE TABLE users(id TEXT PRIMARY KEY, name TEXT, updatedAt TEXT, extra TEXT);");
    other.sync("C");
    fs::copy_file(other.share() / "client-C.sqlite", fleet.share() / "client-C.sqlite");
    const auto r = fleet.sync("B");
    REQUIRE(r.skipped_remotes.size() == 1);
    CHECK(r.skipped_remotes[0].client == "C");
    CHECK(r.skipped_remotes[0].remote_schema_version != r.skipped_remotes[0].local_schema_version);
    CHECK(r.clients_synced == 1);
    // Both peers listed; C's copy is what is left unread.
    std::map<std::string, std::int64_t> unread;
    for (const auto& p : r.peers) unread[p.client] = p.unread_objects;
    CHECK(unread == std::map<std::string, std::int64_t>{{"A", 0}, {"C", 1}});
}

TEST_CASE("an idle sync publishes nothing and fetches nothing") {
    Fleet fleet({"A", "B"}, users_schema);
    fleet.write("A", "INSERT INTO users VALUES('u1','Ann','a@x','2026-01-01T00:00:00Z')");
    fleet.sync_all(2);
    const auto r = fleet.sync("A");
    CHECK(r.bytes_published == 0);
    CHECK(r.bytes_fetched == 0);
    CHECK(r.clients_synced == 1);
}

TEST_CASE("corrupt, torn, hostile and vanished peer files are skipped with a warning; the others go on") {
    Fleet fleet({"A", "B"}, users_schema);
    fleet.write("B", "INSERT INTO users VALUES('u1','Ann','a@x','2026-01-01T00:00:00Z')");
    fleet.sync("B");
    fleet.sync("A");  // A publishes too
    const auto good = read_file(fleet.share() / "client-B.sqlite");
    write_file(fleet.share() / "client-garbage.sqlite", std::string(4096, 'x'));
    write_file(fleet.share() / "client-torn.sqlite", good.substr(0, good.size() / 2));

    // A peer whose "users" is a view and whose tables carry triggers: nothing of it may run here.
    const auto hostile = fleet.share() / "client-hostile.sqlite";
    fs::copy_file(fleet.share() / "client-B.sqlite", hostile);
    {
        SQLite::Database db(hostile.string(), SQLite::OPEN_READWRITE);
        db.exec("PRAGMA journal_mode = DELETE; DROP TABLE users;"
                "CREATE TABLE log(x TEXT);"
                "CREATE VIEW users AS SELECT 'h1' AS id, 'Mallory' AS name, 'm@x' AS email, '2099-01-01' AS updatedAt;"
                "CREATE TRIGGER t AFTER INSERT ON log BEGIN DELETE FROM _sync_meta; END;"
                "INSERT INTO _changelog(tableName, recordId, operation) VALUES('users','h1','INSERT');");
    }
    const auto hostile_before = read_file(hostile);

    fleet.write("B", "INSERT INTO users VALUES('u2','Bob','b@x','2026-01-01T00:00:00Z')");
    fleet.sync("B");
    const auto r = fleet.sync("A");
    CHECK(r.clients_synced == 1);  // B
    int peer_warnings = 0;
    for (const auto& w : r.warnings)
        if (w.find("garbage") != std::string::npos || w.find("torn") != std::string::npos ||
            w.find("hostile") != std::string::npos)
            ++peer_warnings;
    CHECK(peer_warnings == 3);
    const auto users = fleet.dump("A")["users"];
    CHECK(users.size() == 2);
    for (const auto& u : users) CHECK(u["name"] != "Mallory");
    CHECK(read_file(hostile) == hostile_before);
    CHECK(count(fleet.database("A"), "SELECT count(*) FROM sqlite_master WHERE name IN ('log', 't')") == 0);
}

TEST_CASE("a client id cannot escape the share: such names on the share are ignored") {
    Fleet fleet({"A"}, users_schema);
    write_file(fleet.share() / "client-a b.sqlite", "x");
    const auto r = fleet.sync("A");
    CHECK(r.warnings.empty());
    CHECK(r.clients_synced == 0);
    PipelineConfig bad = fleet.config("A");
    bad.client_id = "x/../../evil";
    CHECK_THROWS_WITH_AS(SyncClient{bad}, doctest::Contains("not a valid client id"), Error);
    CHECK_FALSE(fs::exists(fleet.share().parent_path().parent_path() / "evil"));
}

TEST_CASE("the library: synced tables, callbacks, status") {
    Fleet fleet({"A", "B"}, users_schema);
    fleet.write("A", "INSERT INTO users VALUES('u1','Ann','a@x','2026-01-01T00:00:00Z')");
    fleet.write("B", "INSERT INTO users VALUES('u1','Ann B','a@x','2026-01-01T00:00:05Z')");
    auto& b = fleet.client("B");
    REQUIRE(b.synced_tables().size() == 1);
    CHECK(b.synced_tables()[0].name == "users");
    int started = 0, completed = 0;
    std::vector<ConflictEvent> conflicts;
    b.on_start([&] { ++started; });
    b.on_complete([&](const SyncResult&) { ++completed; });
    b.on_conflict([&](const ConflictEvent& e) { conflicts.push_back(e); });
    fleet.sync("A");
    const auto status = b.status();
    REQUIRE(status.peers.size() == 1);
    CHECK(status.peers[0].client == "A");
    CHECK(status.peers[0].never_read);
    fleet.sync("B");
    CHECK(started == 1);
    CHECK(completed == 1);
    REQUIRE(conflicts.size() == 1);
    CHECK(conflicts[0].key == "u1");
    CHECK(conflicts[0].resolution == "keep_local");
    CHECK(conflicts[0].resolver == "lww");
    CHECK_FALSE(b.status().peers[0].never_read);
}

TEST_CASE("a peer listed but missing (mid-replacement) is a warning; it is read next round") {
    ClientOptions options;
    options.inject_faults = true;
    Fleet fleet({"A", "B"}, users_schema, options);
    fleet.write("B", "INSERT INTO users VALUES('u1','Ann','a@x','2026-01-01T00:00:00Z')");
    fleet.sync("B");
    fleet.faults("A").hide("client-B.sqlite", 1);
    auto r = fleet.sync("A");
    CHECK(r.clients_synced == 0);
    REQUIRE(r.warnings.size() == 1);
    CHECK(r.warnings[0].find("peer 'B'") != std::string::npos);
    CHECK(r.warnings[0].find("missing") != std::string::npos);
    CHECK(fleet.dump("A")["users"].empty());
    r = fleet.sync("A");
    CHECK(r.clients_synced == 1);
    CHECK(r.warnings.empty());
    check_converged(fleet);
}

TEST_CASE("a change-log gap makes a full merge, tombstones included, and is reported") {
    ClientOptions options;
    options.retention = std::chrono::milliseconds(0);  // every captured change-log row is pruned after a sync
    Fleet fleet({"A", "B"}, users_schema, options);
    fleet.write("A", "INSERT INTO users VALUES('i1','one','1@x','2026-01-01T00:00:01Z'),"
                     "('i2','two','2@x','2026-01-01T00:00:02Z')");
    // One round: B reads A's first copy, which holds its log (A prunes after
    // publishing). In a second round A could publish again with its log
    // pruned, if a second passed since the write.
    fleet.sync_all(1);
    CHECK(count(fleet.database("B"), "SELECT lastSeenId FROM _sync_state WHERE remoteClientId = 'A'") > 0);
    fleet.write("A", "DELETE FROM users WHERE id = 'i1'; UPDATE users SET name = 'two-A', updatedAt = '2026-01-02T00:00:02Z' WHERE id = 'i2'");
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // changedAt has whole seconds
    fleet.sync("A");
    fleet.sync("A");
    CHECK(count(fleet.database("A"), "SELECT count(*) FROM _changelog") == 0);
    const auto r = fleet.sync("B");
    CHECK(r.had_changelog_gap);
    CHECK(r.deleted == 1);
    CHECK(r.updated == 1);
    check_converged(fleet);
}

TEST_CASE("a peer merged while its change log was empty is merged whole once its copy changes with an empty log again") {
    ClientOptions options;
    options.retention = std::chrono::milliseconds(0);
    options.heartbeat = false;  // A logs nothing until its application writes
    Fleet fleet({"A", "B"}, users_schema, options);
    // A's log rows made old: A's next sync publishes them and then prunes
    // them, and the sync after publishes its copy again with an empty log.
    auto write_and_prune = [&](const std::string& sql) {
        fleet.write("A", sql + "; UPDATE _changelog SET changedAt = '2000-01-01 00:00:00'");
        fleet.sync("A");
        fleet.sync("A");
        REQUIRE(count(fleet.database("A"), "SELECT count(*) FROM _changelog") == 0);
    };
    fleet.sync_all(1);
    // B has read A's log up to 0: it was empty, and A had logged nothing.
    REQUIRE(count(fleet.database("B"), "SELECT lastSeenId FROM _sync_state WHERE remoteClientId = 'A'") == 0);
    write_and_prune("INSERT INTO users VALUES('i1','one','1@x','2026-01-01T00:00:01Z'),('i2','two','2@x','2026-01-01T00:00:02Z')");
    auto r = fleet.sync("B");
    CHECK(r.had_changelog_gap);
    CHECK(r.inserted == 2);
    check_converged(fleet);
    write_and_prune("DELETE FROM users WHERE id = 'i1'; UPDATE users SET name = 'two-A', updatedAt = '2026-01-02T00:00:02Z' WHERE id = 'i2'");
    r = fleet.sync("B");
    CHECK(r.had_changelog_gap);
    CHECK(r.deleted == 1);
    CHECK(r.updated == 1);
    check_converged(fleet);
}

TEST_CASE("a peer merged while its change log was empty is read from its log when that log starts at its first id") {
    ClientOptions options;
    options.heartbeat = false;  // A's log stays empty until its application writes
    Fleet fleet({"A", "B"}, users_schema, options);
    fleet.sync_all(1);
    REQUIRE(count(fleet.database("B"), "SELECT lastSeenId FROM _sync_state WHERE remoteClientId = 'A'") == 0);
    fleet.write("A", "INSERT INTO users VALUES('i1','one','1@x','2026-01-01T00:00:01Z')");
    fleet.sync("A");
    const auto r = fleet.sync("B");
    CHECK_FALSE(r.had_changelog_gap);  // nothing can be missing before id 1
    CHECK(r.warnings.empty());
    CHECK(r.inserted == 1);
    check_converged(fleet);
}

TEST_CASE("a peer whose log lost only rows we had read is read from its log, not merged whole") {
    ClientOptions options;
    options.heartbeat = false;  // A's log holds its application's changes only
    Fleet fleet({"A", "B"}, users_schema, options);
    fleet.sync_all(1);  // set up: A's triggers log from now on
    fleet.write("A", "INSERT INTO users VALUES('u1','one','1@x','2026-01-01T00:00:01Z'),('u2','two','2@x','2026-01-01T00:00:02Z')");
    fleet.sync_all(1);
    REQUIRE(count(fleet.database("B"), "SELECT lastSeenId FROM _sync_state WHERE remoteClientId = 'A'") == 2);
    fleet.write("A", "UPDATE _changelog SET changedAt = '2000-01-01 00:00:00'");
    fleet.sync("A");  // prunes ids 1 and 2, which B has read
    fleet.write("A", "INSERT INTO users VALUES('u3','three','3@x','2026-01-01T00:00:03Z')");
    fleet.sync("A");
    REQUIRE(count(fleet.database("A"), "SELECT min(id) FROM _changelog") == 3);
    const auto r = fleet.sync("B");
    CHECK_FALSE(r.had_changelog_gap);  // its log starts right after what B read (the original sees a gap here)
    CHECK(r.warnings.empty());
    CHECK(r.inserted == 1);
    check_converged(fleet);
}

// Session 10's gap rule merged such a copy whole at every change: with the
// heartbeat written by the first client of the day, the others' logs stay
// empty, so every client merged every other whole each round.
TEST_CASE("a peer whose copy changed only by what it merged is not merged whole") {
    ClientOptions options;
    options.merged_publish_every = std::chrono::milliseconds(0);  // B puts its copy again at once
    Fleet fleet({"A", "B", "C"}, users_schema, options);
    fleet.write("A", "INSERT INTO users VALUES('i1','one','1@x','2026-01-01T00:00:01Z')");
    fleet.sync_all(2);
    REQUIRE(count(fleet.database("B"), "SELECT count(*) FROM _changelog") == 0);  // A's heartbeat came first
    fleet.write("A", "INSERT INTO users VALUES('i2','two','2@x','2026-01-01T00:00:02Z')");
    fleet.sync("A");
    REQUIRE(fleet.sync("B").inserted == 1);  // B publishes its copy again, with its log still empty
    const auto r = fleet.sync("C");
    CHECK_FALSE(r.had_changelog_gap);
    CHECK(r.warnings.empty());
    CHECK(r.inserted == 1);
    check_converged(fleet);
}

TEST_CASE("heartbeat: today's noon UTC, written once a day and synced") {
    Fleet fleet({"A", "B"}, users_schema);
    fleet.sync_all();
    SQLite::Database a(fleet.database("A").string(), SQLite::OPEN_READONLY);
    const std::string value = a.execAndGet("SELECT updatedAt FROM _heartbeat WHERE id = '00000000-0000-0000-0000-000000000000'").getString();
    const std::string today = a.execAndGet("SELECT strftime('%Y-%m-%dT12:00:00Z', 'now')").getString();
    CHECK(value == today);
    CHECK(count(fleet.database("A"), "SELECT count(*) FROM _changelog WHERE tableName = '_heartbeat'") == 1);
    fleet.sync_all();
    CHECK(count(fleet.database("A"), "SELECT count(*) FROM _changelog WHERE tableName = '_heartbeat'") == 1);
}

TEST_CASE("change-log retention removes only old rows") {
    Fleet fleet({"A"}, users_schema);
    fleet.sync("A");
    fleet.write("A", "INSERT INTO users VALUES('u1','Ann','a@x','2026-01-01T00:00:00Z');"
                     "UPDATE _changelog SET changedAt = datetime('now', '-8 days') WHERE recordId = 'u1' OR tableName = '_heartbeat';"
                     "INSERT INTO users VALUES('u2','Bob','b@x','2026-01-01T00:00:00Z');");
    fleet.sync("A");
    CHECK(count(fleet.database("A"), "SELECT count(*) FROM _changelog WHERE recordId = 'u1'") == 0);
    CHECK(count(fleet.database("A"), "SELECT count(*) FROM _changelog WHERE recordId = 'u2'") == 1);
}

TEST_CASE("a database set up by the original is adopted with its progress") {
    const auto step = fixtures_dir() / "basic-insert-update-delete" / "final-step2-B";
    Fleet fleet({"B"}, "");
    fs::copy_file(step / "local-before" / "B.sqlite", fleet.database("B"), fs::copy_options::overwrite_existing);
    const auto before = count(fleet.database("B"), "SELECT lastSeenId FROM _sync_state WHERE remoteClientId = 'A'");
    REQUIRE(before > 0);
    fleet.client("B");  // installs our triggers over the original's
    CHECK(count(fleet.database("B"), "SELECT lastSeenId FROM _sync_state WHERE remoteClientId = 'A'") == before);
    CHECK(count(fleet.database("B"), "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE '\\_changelog\\_after\\_%' ESCAPE '\\'") == 5);
    fleet.write("B", "INSERT INTO users VALUES('u9','New','n@x','2026-03-01T00:00:00Z')");
    CHECK(count(fleet.database("B"), "SELECT count(*) FROM _changelog WHERE recordId = 'u9' AND operation = 'INSERT'") == 1);
}

TEST_CASE("a torn object of ours on the share is noticed and published again") {
    ClientOptions options;
    options.inject_faults = true;
    Fleet fleet({"A", "B"}, users_schema, options);
    fleet.write("A", "INSERT INTO users VALUES('u1','Ann','a@x','2026-01-01T00:00:00Z')");
    fleet.faults("A").truncate_puts(true);
    fleet.sync("A");
    fleet.faults("A").truncate_puts(false);
    auto r = fleet.sync("B");
    CHECK(r.warnings.size() == 1);  // B refuses the torn copy
    CHECK(fleet.dump("B")["users"].empty());
    r = fleet.sync("A");  // nothing changed locally, but the object on the share is not ours
    CHECK(r.bytes_published > 0);
    fleet.sync("B");
    check_converged(fleet);
}

TEST_CASE("the share failing at any call of a sync gives an error or a warning and loses nothing") {
    ClientOptions options;
    options.inject_faults = true;
    for (int failing_call = 1; failing_call <= 5; ++failing_call) {
        CAPTURE(failing_call);
        Fleet fleet({"A", "B"}, users_schema, options);
        fleet.write("B", "INSERT INTO users VALUES('b1','from B','b@x','2026-01-01T00:00:00Z')");
        fleet.sync("B");
        fleet.write("A", "INSERT INTO users VALUES('a1','from A','a@x','2026-01-01T00:00:00Z')");
        fleet.faults("A").fail_call(failing_call);
        bool reported = false;
        try {
            reported = !fleet.sync("A").warnings.empty();
        } catch (const Error& e) {
            reported = std::string(e.what()).find("injected fault") != std::string::npos;
        }
        CHECK(reported == (fleet.faults("A").calls() >= failing_call));
        fleet.faults("A").fail_call(0);  // the share is back
        CHECK(count(fleet.database("A"), "SELECT count(*) FROM users WHERE id = 'a1'") == 1);
        CHECK(SQLite::Database(fleet.database("A").string()).execAndGet("PRAGMA integrity_check").getString() == "ok");
        fleet.sync_all(2);
        check_converged(fleet);
        CHECK(fleet.dump("B")["users"].size() == 2);
    }
}

TEST_CASE("a full disk or a read-only share: a clear error, nothing lost, published once it is writable") {
    ClientOptions options;
    options.inject_faults = true;
    for (const std::string reason : {"No space left on device", "Read-only file system"}) {
        CAPTURE(reason);
        Fleet fleet({"A", "B"}, users_schema, options);
        fleet.client("A");  // set up first: the row below is a logged change of the application's
        fleet.write("A", "INSERT INTO users VALUES('a1','Ann','a@x','2026-01-01T00:00:00Z')");
        fleet.faults("A").fail_puts(reason);
        CHECK_THROWS_WITH_AS(fleet.sync("A"), doctest::Contains(reason.c_str()), Error);
        CHECK(fleet.client("A").status().unpublished_changes >= 1);
        fleet.faults("A").fail_puts("");
        fleet.sync("A");
        fleet.sync("B");
        CHECK(fleet.dump("B")["users"].size() == 1);
    }
}

TEST_CASE("start()/stop(): the background loop syncs while the application writes in the same process") {
    Fleet fleet({"A", "B"}, users_schema);
    PipelineConfig config = fleet.config("A");
    config.interval = std::chrono::milliseconds(20);
    SyncClient a(config);
    std::atomic<int> completed{0};
    a.on_complete([&](const SyncResult&) { ++completed; });
    a.start();
    int written = 0;
    {
        SQLite::Database app(fleet.database("A").string(), SQLite::OPEN_READWRITE);
        app.setBusyTimeout(10000);
        for (; written < 150; ++written) {
            app.exec("INSERT INTO users VALUES('w" + std::to_string(written) + "','x','x@x','2026-01-01T00:00:00Z')");
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }
    a.stop();  // the last sync publishes what was written before it
    CHECK(completed.load() >= 2);
    fleet.sync("B");
    CHECK(fleet.dump("B")["users"].size() == static_cast<std::size_t>(written));
}

namespace {

ClientOptions journal_options(int base_every = 100) {
    ClientOptions o;
    o.exchange = ExchangeLayout::journal;
    o.journal.base_every = base_every;
    return o;
}

std::vector<std::string> share_objects(const fs::path& share, const std::string& under) {
    std::vector<std::string> out;
    if (!fs::exists(share / under)) return out;
    for (const auto& e : fs::directory_iterator(share / under)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("journal: peers read only new segments; the cost follows what changed") {
    Fleet fleet({"A", "B"}, users_schema, journal_options());
    fleet.write("A", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
                     "INSERT INTO users SELECT 'r' || i, printf('%.100c', 'x'), 'e@x', '2026-01-01T00:00:00Z' FROM n;"
                     "INSERT INTO users VALUES('u1','Ann','a@x','2026-01-01T00:00:00Z')");
    fleet.sync_all(2);
    check_converged(fleet);
    for (const auto& name : share_objects(fleet.share(), ""))  // journal/ and the share's bookkeeping: no snapshot object
        CHECK_FALSE(name.ends_with(".sqlite"));
    fleet.write("A", "UPDATE users SET name='Ann 2', updatedAt='2026-01-02T00:00:00Z' WHERE id='u1'");
    const auto a = fleet.sync("A");
    const auto b = fleet.sync("B");
    CHECK(b.updated == 1);
    CHECK(b.bytes_fetched < 64 * 1024);  // one small segment, not a copy of the database (~500 KB)
    CHECK(a.bytes_published < 64 * 1024);
    check_converged(fleet);
    const auto idle = fleet.sync("B");
    CHECK(idle.bytes_fetched == 0);
    CHECK(idle.bytes_published == 0);
}

TEST_CASE("journal: a segment of many changes is written with 4 KiB pages, a small one with 1 KiB pages") {
    Fleet fleet({"A", "B"}, users_schema, journal_options());
    fleet.sync_all(1);
    auto newest_segment_page_size = [&] {
        const auto objects = share_objects(fleet.share(), "journal/A");
        std::string newest;
        for (const auto& name : objects)
            if (name.starts_with("seg-")) newest = name;
        REQUIRE_FALSE(newest.empty());
        SQLite::Database segment((fleet.share() / "journal" / "A" / newest).string(), SQLite::OPEN_READONLY);
        return segment.execAndGet("PRAGMA page_size").getInt();
    };
    fleet.write("A", fmt::format("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) "
                                 "INSERT INTO users SELECT 'r' || i, 'x', 'e@x', '2026-01-01T00:00:00Z' FROM n",
                                 large_segment_changes));
    fleet.sync("A");
    CHECK(newest_segment_page_size() == 4096);
    fleet.write("A", "UPDATE users SET name = 'y', updatedAt = '2026-01-02T00:00:00Z' WHERE id = 'r1'");
    fleet.sync("A");
    CHECK(newest_segment_page_size() == 1024);
    fleet.sync("B");
    check_converged(fleet);
}

TEST_CASE("journal: segments everyone has read are removed once a base covers them") {
    Fleet fleet({"A", "B", "C"}, users_schema, journal_options(2));
    for (int i = 0; i < 6; ++i) {
        fleet.write("A", "INSERT INTO users VALUES('k" + std::to_string(i) + "','x','x@x','2026-01-01T00:00:00Z')");
        fleet.sync_all(1);
    }
    fleet.sync_all(2);
    check_converged(fleet);
    const auto objects = share_objects(fleet.share(), "journal/A");
    const auto segments = std::count_if(objects.begin(), objects.end(), [](const std::string& n) { return n.starts_with("seg-"); });
    const auto bases = std::count_if(objects.begin(), objects.end(), [](const std::string& n) { return n.starts_with("base-"); });
    CHECK(segments <= 2);
    CHECK(bases == 1);
    // A client that joins now starts from A's base and reads on from there.
    Fleet late({"D"}, users_schema, journal_options(2));
    fs::remove_all(late.share());
    fs::create_directory_symlink(fleet.share(), late.share());
    late.sync("D");
    CHECK(late.dump("D") == fleet.dump("A"));
}

TEST_CASE("journal: a segment published by a run killed before recording it is never replaced") {
    Fleet fleet({"A", "B"}, users_schema, journal_options());
    fleet.write("A", "INSERT INTO users VALUES('a1','x','x@x','2026-01-01T00:00:00Z')");
    fleet.sync_all(2);
    auto state = [&](const std::string& key) {
        return count(fleet.database("A"), "SELECT value FROM _nas_sync_state WHERE key = '" + key + "'");
    };
    const auto segment = state("journal_segment"), changelog = state("journal_changelog_id");
    // A puts its next segment and is killed before recording it: its state is
    // as before the put, the segment is on the share, and B reads it.
    fleet.write("A", "INSERT INTO users VALUES('a2','x','x@x','2026-01-01T00:00:00Z')");
    fleet.sync("A");
    fleet.write("A", fmt::format("UPDATE _nas_sync_state SET value = {} WHERE key = 'journal_segment';"
                                 "UPDATE _nas_sync_state SET value = {} WHERE key = 'journal_changelog_id';"
                                 "DELETE FROM _nas_sync_state WHERE key = 'journal_size:{}'",
                                 segment, changelog, segment + 1));
    fleet.sync("B");
    CHECK(fleet.dump("B")["users"].size() == 2);
    // A's next segment must not take that number again: B has read it.
    fleet.write("A", "INSERT INTO users VALUES('a3','x','x@x','2026-01-01T00:00:00Z')");
    fleet.sync("A");
    fleet.sync("B");
    CHECK(fleet.dump("B")["users"].size() == 3);
    check_converged(fleet);
}

// Found by the randomized fleets with a faulty share: the sync that removed
// the torn segment failed before its base was out, and the next one, seeing
// no torn object any more, owed no base; B waited for the segment for good.
TEST_CASE("journal: a torn segment of ours is covered by a base, also when the sync that removes it fails") {
    auto options = journal_options();
    options.inject_faults = true;
    Fleet fleet({"A", "B"}, users_schema, options);
    fleet.sync_all(1);
    fleet.write("A", "INSERT INTO users VALUES('a1','x','x@x','2026-01-01T00:00:00Z')");
    fleet.faults("A").truncate_puts(true);
    fleet.sync("A");  // its segment reaches the share torn
    fleet.faults("A").truncate_puts(false);
    auto r = fleet.sync("B");
    CHECK(r.inserted == 0);
    CHECK(r.warnings.size() == 1);  // B refuses the torn segment
    fleet.faults("A").fail_puts("No space left on device");
    CHECK_THROWS_AS(fleet.sync("A"), Error);  // the torn segment is removed, the base cannot be put
    fleet.faults("A").fail_puts("");
    fleet.sync("A");
    r = fleet.sync("B");
    CHECK(r.had_changelog_gap);  // the segment is gone: B merges A's base
    CHECK(r.inserted == 1);
    check_converged(fleet);
}

TEST_CASE("journal: a silent peer is retired and no longer holds back segment removal") {
    ClientOptions options = journal_options(1);
    options.journal.retire_after = std::chrono::hours(1);
    Fleet fleet({"A", "B"}, users_schema, options);
    fleet.sync_all(1);
    for (const auto& e : fs::directory_iterator(fleet.share() / "journal" / "B"))  // B went silent two hours ago
        fs::last_write_time(e.path(), fs::file_time_type::clock::now() - std::chrono::hours(2));
    for (int i = 0; i < 4; ++i) {
        fleet.write("A", "INSERT INTO users VALUES('k" + std::to_string(i) + "','x','x@x','2026-01-01T00:00:00Z')");
        fleet.sync("A");
    }
    const auto objects = share_objects(fleet.share(), "journal/A");
    CHECK(std::count_if(objects.begin(), objects.end(), [](const std::string& n) { return n.starts_with("seg-"); }) <= 1);
    const auto status = fleet.client("A").status();
    REQUIRE(status.peers.size() == 1);
    CHECK(status.peers[0].retired);
}

TEST_CASE("journal and snapshot clients on one share: snapshot_every keeps the original's layout fresh") {
    Fleet fleet({"J", "S"}, users_schema);
    ClientOptions journal = journal_options();
    journal.journal.snapshot_every = std::chrono::milliseconds(1);
    Fleet journal_side({"J"}, users_schema, journal);
    fs::remove_all(journal_side.share());
    fs::create_directory_symlink(fleet.share(), journal_side.share());
    journal_side.write("J", "INSERT INTO users VALUES('j1','from journal','j@x','2026-01-01T00:00:00Z')");
    fleet.write("S", "INSERT INTO users VALUES('s1','from snapshot','s@x','2026-01-01T00:00:00Z')");
    for (int round = 0; round < 2; ++round) {
        journal_side.sync("J");
        fleet.sync("S");
    }
    CHECK(fs::exists(fleet.share() / "client-J.sqlite"));
    CHECK(journal_side.dump("J") == fleet.dump("S"));
    CHECK(fleet.dump("S")["users"].size() == 2);
}

namespace {

// A with a base of 100 rows and three segments after it: 30 rows updated,
// 5 deleted, 10 added (one of them changed again in the last segment).
void write_base_and_three_segments(Fleet& fleet) {
    fleet.write("A", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) "
                     "INSERT INTO users SELECT printf('r%03d', i), 'first', 'e@x', '2026-01-01T00:00:00Z' FROM n");
    fleet.sync("A");
    fleet.write("A", "UPDATE users SET name = 'second', updatedAt = '2026-01-02T00:00:00Z' WHERE id <= 'r030'");
    fleet.sync("A");
    fleet.write("A", "DELETE FROM users WHERE id > 'r095';"
                     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) "
                     "INSERT INTO users SELECT printf('n%03d', i), 'new', 'e@x', '2026-01-03T00:00:00Z' FROM n");
    fleet.sync("A");
    fleet.write("A", "UPDATE users SET name = 'third', updatedAt = '2026-01-04T00:00:00Z' WHERE id IN ('r001', 'n001')");
    fleet.sync("A");
}

std::vector<std::string> segments_of(const fs::path& share, const std::string& client) {
    auto objects = share_objects(share, "journal/" + client);
    std::erase_if(objects, [](const std::string& n) { return !n.starts_with("seg-"); });
    return objects;
}

}  // namespace

TEST_CASE("journal: a new client merges the base and the segments after it in one pass, each key once") {
    Fleet fleet({"A"}, users_schema, journal_options());
    write_base_and_three_segments(fleet);
    REQUIRE(segments_of(fleet.share(), "A").size() >= 3);
    Fleet late({"D"}, users_schema, journal_options());
    fs::remove_all(late.share());
    fs::create_directory_symlink(fleet.share(), late.share());
    const auto d = late.sync("D");
    CHECK(late.dump("D") == fleet.dump("A"));
    // Each of A's 105 rows is inserted once in its newest state: no update
    // replays a segment, no deleted row is inserted first.
    CHECK(d.inserted == 105);
    CHECK(d.updated == 0);
    CHECK(d.deleted == 0);
    CHECK(d.warnings.empty());
    // The deletions are known too: a peer that still had a deleted row would lose it to them.
    CHECK(count(late.database("D"), "SELECT count(*) FROM _nas_sync_versions WHERE deleted = 1") == 5);
}

TEST_CASE("journal: the one-pass merge finds the segments' keys when the base's key order is not binary (NOCASE)") {
    // The base's rows come in the key index's order: a, B, c, D... here,
    // while the segments' keys are sorted bytewise (B, D, a, c...).
    const char* schema = "CREATE TABLE users(id TEXT PRIMARY KEY COLLATE NOCASE, name TEXT, email TEXT, updatedAt TEXT);";
    Fleet fleet({"A"}, schema, journal_options());
    fleet.write("A", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40) "
                     "INSERT INTO users SELECT printf('%s%03d', CASE i % 2 WHEN 0 THEN 'k' ELSE 'K' END, i), 'first', 'e@x', "
                     "'2026-01-01T00:00:00Z' FROM n");
    fleet.sync("A");
    fleet.write("A", "UPDATE users SET name = 'second', updatedAt = '2026-01-02T00:00:00Z' WHERE id IN ('K001', 'k002', 'k040');"
                     "DELETE FROM users WHERE id IN ('K003', 'k004');"
                     "INSERT INTO users VALUES ('a-new', 'new', 'e@x', '2026-01-02T00:00:00Z'), "
                     "('Z-new', 'new', 'e@x', '2026-01-02T00:00:00Z')");
    fleet.sync("A");
    fleet.write("A", "UPDATE users SET name = 'third', updatedAt = '2026-01-03T00:00:00Z' WHERE id IN ('K001', 'Z-new')");
    fleet.sync("A");
    Fleet late({"D"}, schema, journal_options());
    fs::remove_all(late.share());
    fs::create_directory_symlink(fleet.share(), late.share());
    const auto d = late.sync("D");
    CHECK(late.dump("D") == fleet.dump("A"));
    CHECK(d.inserted == 40);  // each row once, in its newest state
    CHECK(d.updated == 0);
    CHECK(d.warnings.empty());
}

TEST_CASE("journal: a segment that cannot be read ends the one-pass merge before it; the rest follow later") {
    Fleet fleet({"A"}, users_schema, journal_options());
    write_base_and_three_segments(fleet);
    const auto segments = segments_of(fleet.share(), "A");
    REQUIRE(segments.size() >= 3);
    // The second segment after the base (the deletions and new rows) is torn.
    const fs::path torn = fleet.share() / "journal" / "A" / segments[segments.size() - 2];
    const fs::path kept = fleet.share() / "kept.sqlite";
    fs::copy_file(torn, kept);
    fs::resize_file(torn, fs::file_size(torn) - 100);
    Fleet late({"D"}, users_schema, journal_options());
    fs::remove_all(late.share());
    fs::create_directory_symlink(fleet.share(), late.share());
    const auto first = late.sync("D");
    auto rows = late.dump("D")["users"];
    CHECK(rows.size() == 100);  // the base with the updates of the segment before the torn one
    CHECK(std::count_if(rows.begin(), rows.end(), [](const auto& r) { return r["name"] == "second"; }) == 30);
    REQUIRE(first.warnings.size() == 1);
    // refused before it is copied: its size is not its header's pages
    INFO(first.warnings[0]);
    CHECK(first.warnings[0].find("peer 'A': '" + ("journal/A/" + segments[segments.size() - 2]) + "' is refused (torn") !=
          std::string::npos);
    REQUIRE(first.peers.size() == 1);
    CHECK(first.peers[0].client == "A");
    CHECK(first.peers[0].unread_objects == 2);  // the torn segment and the one after it
    fs::remove(torn);
    fs::rename(kept, torn);
    const auto second = late.sync("D");
    CHECK(late.dump("D") == fleet.dump("A"));
    REQUIRE(second.peers.size() == 1);
    CHECK(second.peers[0].unread_objects == 0);
}

TEST_CASE("pruning removes the change log's old first rows and stops at the first row to keep") {
    ClientOptions options;
    options.retention = std::chrono::hours(1);
    Fleet fleet({"A"}, users_schema, options);
    fleet.sync("A");  // installs the change log
    fleet.write("A", "INSERT INTO users VALUES('a','x','x@x','2026-01-01T00:00:00Z'),('b','x','x@x','2026-01-01T00:00:00Z'),"
                     "('c','x','x@x','2026-01-01T00:00:00Z'),('d','x','x@x','2026-01-01T00:00:00Z')");
    // The first rows (the heartbeat, a, b) from two hours ago, c from now, then
    // d from two hours ago again (the clock went back).
    fleet.write("A", "UPDATE _changelog SET changedAt = datetime('now', '-2 hours') WHERE recordId != 'c'");
    fleet.sync("A");
    const auto kept = [&] {
        std::vector<std::string> keys;
        SQLite::Database db(fleet.database("A").string(), SQLite::OPEN_READONLY);
        SQLite::Statement s(db, "SELECT recordId FROM _changelog ORDER BY id");
        while (s.executeStep()) keys.push_back(s.getColumn(0).getString());
        return keys;
    }();
    CHECK(kept == std::vector<std::string>{"c", "d"});
}

TEST_CASE("capturing many changes leaves the write lock free between its slices") {
    Fleet fleet({"A"}, std::string(users_schema) + "CREATE TABLE _app_log(captured INTEGER);");
    fleet.sync("A");
    const auto captured = [&] { return count(fleet.database("A"), "SELECT value FROM _nas_sync_state WHERE key = 'captured_id'"); };
    const auto before = captured();
    fleet.write("A", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
                     "INSERT INTO users SELECT 'r' || i, 'x', 'e@x', '2026-01-01T00:00:00Z' FROM n");
    // The application writes all along, noting how far the capture had come.
    std::atomic<bool> stop{false};
    std::thread application([&] {
        SQLite::Database db(fleet.database("A").string(), SQLite::OPEN_READWRITE);
        db.setBusyTimeout(10000);
        while (!stop) {
            db.exec("INSERT INTO _app_log SELECT value FROM _nas_sync_state WHERE key = 'captured_id'");
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    });
    fleet.sync("A");
    stop = true;
    application.join();
    const auto after = captured();
    REQUIRE(after > before + 2000);  // more than one slice
    CHECK(count(fleet.database("A"), fmt::format("SELECT count(*) FROM _app_log WHERE captured > {} AND captured < {}",
                                                 before, after)) > 0);
}
