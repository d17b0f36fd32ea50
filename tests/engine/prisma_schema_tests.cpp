// Schemas as Prisma writes them (tests/fixtures/prisma/schema.sql): composite
// keys, a many-to-many table keyed by a UNIQUE index, tables without a
// timestamp, foreign keys with CASCADE, SET NULL and RESTRICT, a UNIQUE
// column, tables that must stay on this computer. Both exchanges.
#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <thread>

#include "engine/tables/schema_version.hpp"
#include "fleet.hpp"

using namespace nas_sync;
using namespace nas_sync::test;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> join_tables{"_PostToTag"};

std::string prisma_schema() { return read_file(test_fixtures_dir() / "prisma" / "schema.sql"); }

ClientOptions prisma_options(ExchangeLayout exchange) {
    ClientOptions o;
    o.exchange = exchange;
    o.discovery = PluginSection{.plugin = "prisma", .key = "discovery"};
    return o;
}

// Every violation PRAGMA foreign_key_check finds, "table|rowid|parent|fk" each.
std::vector<std::string> foreign_key_violations(const fs::path& file) {
    SQLite::Database db(file.string(), SQLite::OPEN_READONLY);
    SQLite::Statement s(db, "PRAGMA foreign_key_check");
    std::vector<std::string> out;
    while (s.executeStep())
        out.push_back(s.getColumn(0).getString() + "|" + s.getColumn(1).getString() + "|" + s.getColumn(2).getString());
    return out;
}

// Sync everyone in turn until every dump (models and join tables) is equal.
void converge(Fleet& fleet) { fleet.sync_all(3); }

void check_same_everywhere(Fleet& fleet) {
    const auto first = fleet.dump(fleet.ids()[0], join_tables);
    for (const auto& id : fleet.ids()) {
        CAPTURE(id);
        CHECK(fleet.dump(id, join_tables) == first);
        CHECK(foreign_key_violations(fleet.database(id)).empty());
    }
}

const char* seed_rows = R"(
INSERT INTO "User" VALUES ('u1', 'ann@example.com', 'Ann', 1764547200000), ('u2', 'bob@example.com', 'Bob', 1764547200000);
INSERT INTO "Post" VALUES ('p1', 'Hello', 'u1', 'u2', 1764547200000), ('p2', 'Again', 'u2', NULL, 1764547200000);
INSERT INTO "Tag" VALUES ('t1', 'news', 1764547200000), ('t2', 'misc', 1764547200000);
INSERT INTO "Like" ("userId", "postId") VALUES ('u2', 'p1'), ('u1', 'p2');
INSERT INTO "_PostToTag" VALUES ('p1', 't1'), ('p1', 't2'), ('p2', 't1');
)";

}  // namespace

TEST_CASE("prisma discovery: every model and many-to-many table, by their keys, never _prisma_migrations") {
    Fleet fleet({"A"}, prisma_schema(), prisma_options(ExchangeLayout::snapshot));
    const auto tables = fleet.client("A").synced_tables();
    std::map<std::string, std::pair<std::vector<std::string>, std::string>> found;
    for (const auto& t : tables) found[t.name] = {t.key_columns, t.timestamp_column};
    CHECK(found == std::map<std::string, std::pair<std::vector<std::string>, std::string>>{
                       {"Like", {{"userId", "postId"}, ""}},
                       {"Post", {{"id"}, "updatedAt"}},
                       {"Tag", {{"id"}, "updatedAt"}},
                       {"User", {{"id"}, "updatedAt"}},
                       {"_PostToTag", {{"A", "B"}, ""}}});
}

TEST_CASE("composite keys, a many-to-many table and tables without a timestamp sync, both exchanges") {
    for (const auto exchange : {ExchangeLayout::snapshot, ExchangeLayout::journal}) {
        CAPTURE(exchange == ExchangeLayout::journal);
        Fleet fleet({"A", "B", "C"}, prisma_schema(), prisma_options(exchange));
        fleet.write("A", seed_rows);
        converge(fleet);
        check_same_everywhere(fleet);
        CHECK(count(fleet.database("C"), "SELECT count(*) FROM \"Like\"") == 2);
        CHECK(count(fleet.database("C"), "SELECT count(*) FROM \"_PostToTag\"") == 3);

        // Untagging, unliking and a like's key changed in place: the old key is a deletion.
        fleet.write("B", "DELETE FROM \"_PostToTag\" WHERE \"A\" = 'p1' AND \"B\" = 't2';"
                         "UPDATE \"Like\" SET \"postId\" = 'p2' WHERE \"userId\" = 'u2' AND \"postId\" = 'p1';");
        fleet.write("C", "INSERT INTO \"_PostToTag\" VALUES ('p2', 't2');");
        converge(fleet);
        check_same_everywhere(fleet);
        CHECK(count(fleet.database("A"), "SELECT count(*) FROM \"Like\" WHERE \"postId\" = 'p1'") == 0);
        CHECK(count(fleet.database("A"), "SELECT count(*) FROM \"Like\" WHERE \"userId\" = 'u2' AND \"postId\" = 'p2'") == 1);
        CHECK(count(fleet.database("A"), "SELECT count(*) FROM \"_PostToTag\"") == 3);
        CHECK(count(fleet.database("A"), "SELECT count(*) FROM _tombstone WHERE tableName = 'Like' AND "
                                         "recordId = '[\"u2\",\"p1\"]'") == 1);
    }
}

TEST_CASE("a composite key value that is neither TEXT nor INTEGER is refused at the application's write") {
    Fleet fleet({"A"}, prisma_schema(), prisma_options(ExchangeLayout::snapshot));
    fleet.write("A", seed_rows);
    fleet.sync("A");
    CHECK_THROWS_AS(fleet.write("A", "INSERT INTO \"Like\" (\"userId\", \"postId\") VALUES ('u1', X'7031')"),
                    SQLite::Exception);
    CHECK(count(fleet.database("A"), "SELECT count(*) FROM \"Like\"") == 2);
}

TEST_CASE("a parent deleted on one client while another adds a child: no foreign-key violation anywhere") {
    for (const auto exchange : {ExchangeLayout::snapshot, ExchangeLayout::journal}) {
        for (const bool deleter_first : {true, false}) {
            CAPTURE(exchange == ExchangeLayout::journal);
            CAPTURE(deleter_first);
            Fleet fleet({"A", "B"}, prisma_schema(), prisma_options(exchange));
            fleet.write("A", seed_rows);
            converge(fleet);
            // A deletes Ann (her like first: RESTRICT; her posts cascade, likes
            // of them too); B meanwhile writes a post by Ann, tags it, likes it.
            fleet.write("A", "DELETE FROM \"Like\" WHERE \"userId\" = 'u1'; DELETE FROM \"User\" WHERE id = 'u1'");
            fleet.write("B", "INSERT INTO \"Post\" VALUES ('p9', 'Late', 'u1', NULL, 1764547300000);"
                             "INSERT INTO \"_PostToTag\" VALUES ('p9', 't1');"
                             "INSERT INTO \"Like\" (\"userId\", \"postId\") VALUES ('u2', 'p9');");
            if (deleter_first) fleet.sync("A");
            converge(fleet);
            check_same_everywhere(fleet);
            for (const auto& id : fleet.ids()) {
                CAPTURE(id);
                CHECK(count(fleet.database(id), "SELECT count(*) FROM \"Post\" WHERE \"authorId\" = 'u1'") == 0);
                CHECK(count(fleet.database(id), "SELECT count(*) FROM \"_PostToTag\" WHERE \"A\" = 'p9'") == 0);
                CHECK(count(fleet.database(id), "SELECT count(*) FROM \"Like\"") == 0);
                // Ann edited nothing; Bob's post p2 stays, its tag and like of u1 gone.
                CHECK(count(fleet.database(id), "SELECT count(*) FROM \"Post\"") == 1);
            }
        }
    }
}

TEST_CASE("ON DELETE SET NULL: a peer's delete of the referenced row empties the reference, as a change that spreads") {
    Fleet fleet({"A", "B"}, prisma_schema(), prisma_options(ExchangeLayout::snapshot));
    fleet.write("A", seed_rows);
    converge(fleet);
    // Bob edited p1 and likes it (RESTRICT): A deletes the like, then Bob; B retitles p1.
    fleet.write("A", "DELETE FROM \"Like\" WHERE \"userId\" = 'u2'; DELETE FROM \"Post\" WHERE id = 'p2';"
                     "DELETE FROM \"User\" WHERE id = 'u2'");
    fleet.write("B", "UPDATE \"Post\" SET title = 'Hello, again', \"updatedAt\" = 1764547300000 WHERE id = 'p1'");
    fleet.sync("A");
    const SyncResult b = fleet.sync("B");
    CHECK(std::any_of(b.warnings.begin(), b.warnings.end(), [](const std::string& w) {
        return w == "1 row(s) of 'Post' had their reference set to NULL: their 'User' was deleted (ON DELETE SET NULL)";
    }));
    converge(fleet);
    check_same_everywhere(fleet);
    CHECK(count(fleet.database("A"), "SELECT count(*) FROM \"Post\" WHERE id = 'p1' AND \"editorId\" IS NULL AND "
                                     "title = 'Hello, again'") == 1);
}

TEST_CASE("ON DELETE RESTRICT: a parent deleted while a peer added a child is deleted; so is the child") {
    Fleet fleet({"A", "B"}, prisma_schema(), prisma_options(ExchangeLayout::snapshot));
    fleet.write("A", seed_rows);
    fleet.write("A", "INSERT INTO \"User\" VALUES ('u3', 'cy@example.com', 'Cy', 1764547200000)");
    converge(fleet);
    fleet.write("A", "DELETE FROM \"User\" WHERE id = 'u3'");  // Cy likes nothing here
    fleet.write("B", "INSERT INTO \"Like\" (\"userId\", \"postId\") VALUES ('u3', 'p1')");
    fleet.sync("B");
    fleet.sync("A");
    converge(fleet);
    check_same_everywhere(fleet);
    CHECK(count(fleet.database("B"), "SELECT count(*) FROM \"User\" WHERE id = 'u3'") == 0);
    CHECK(count(fleet.database("B"), "SELECT count(*) FROM \"Like\" WHERE \"userId\" = 'u3'") == 0);
}

TEST_CASE("a peer's delete cascades into local rows of tables that are not synced") {
    const std::string schema = prisma_schema() +
                               "CREATE TABLE \"Draft\" (\"id\" TEXT NOT NULL PRIMARY KEY, \"postId\" TEXT NOT NULL, "
                               "CONSTRAINT \"Draft_postId_fkey\" FOREIGN KEY (\"postId\") REFERENCES \"Post\" (\"id\") "
                               "ON DELETE CASCADE);";
    auto options = prisma_options(ExchangeLayout::snapshot);
    options.discovery->options["exclude"] = RawOption{std::vector<std::string>{"Draft"}, {}};
    Fleet fleet({"A", "B"}, schema, options);
    fleet.write("A", seed_rows);
    converge(fleet);
    fleet.write("B", "INSERT INTO \"Draft\" VALUES ('d1', 'p2'), ('d2', 'p1')");
    fleet.write("A", "DELETE FROM \"Post\" WHERE id = 'p2'");
    fleet.sync("A");
    const SyncResult b = fleet.sync("B");
    CHECK(std::any_of(b.warnings.begin(), b.warnings.end(), [](const std::string& w) {
        return w == "1 row(s) of 'Draft' (not synced) deleted: their 'Post' was deleted by a peer (ON DELETE CASCADE)";
    }));
    CHECK(count(fleet.database("B"), "SELECT count(*) FROM \"Draft\"") == 1);
    CHECK(foreign_key_violations(fleet.database("B")).empty());
}

TEST_CASE("the loser of a UNIQUE collision is reported: a conflict event and a warning with both versions") {
    Fleet fleet({"A", "B"}, prisma_schema(), prisma_options(ExchangeLayout::snapshot));
    fleet.write("A", "INSERT INTO \"User\" VALUES ('u1', 'same@example.com', 'Ann', 1764547200000)");
    fleet.write("B", "INSERT INTO \"User\" VALUES ('u7', 'same@example.com', 'Al', 1764547260000)");
    fleet.sync("A");
    std::vector<ConflictEvent> events;
    fleet.client("B").on_conflict([&](const ConflictEvent& e) { events.push_back(e); });
    fleet.sync("B");
    fleet.client("B").on_conflict(nullptr);
    fleet.sync("A");
    const SyncResult a = fleet.sync("A");
    (void)a;
    // B met A's older row for its own newer one: A's u1 lost, on B and then on A.
    REQUIRE(events.size() == 1);
    CHECK(events[0].table == "User");
    CHECK(events[0].key == "u1");
    CHECK(events[0].resolver == "unique");
    CHECK(events[0].resolution == "delete_record");
    fleet.write("A", "INSERT INTO \"User\" VALUES ('u8', 'other@example.com', 'Eve', 1764547300000)");
    fleet.write("B", "INSERT INTO \"User\" VALUES ('u9', 'other@example.com', 'Ed', 1764547200000)");
    fleet.sync("A");
    const SyncResult b = fleet.sync("B");
    CHECK(std::any_of(b.warnings.begin(), b.warnings.end(), [](const std::string& w) {
        return w == "UNIQUE (email) of table 'User': record 'u9' (version 2025-12-01T00:00:00.000Z) lost to record 'u8' "
                    "(version 2025-12-01T00:01:40.000Z) and was deleted";
    }));
    converge(fleet);
    check_same_everywhere(fleet);
    CHECK(count(fleet.database("A"), "SELECT count(*) FROM \"User\"") == 2);
}

TEST_CASE("tables not synced never leave the machine: copies and bases hold only synced tables' rows") {
    const std::string schema = prisma_schema() +
                               "CREATE TABLE \"LocalCache\" (\"id\" TEXT NOT NULL PRIMARY KEY, \"secret\" TEXT, "
                               "\"updatedAt\" DATETIME NOT NULL);";
    for (const auto exchange : {ExchangeLayout::snapshot, ExchangeLayout::journal}) {
        CAPTURE(exchange == ExchangeLayout::journal);
        auto options = prisma_options(exchange);
        options.discovery->options["exclude"] = RawOption{std::vector<std::string>{"LocalCache"}, {}};
        options.journal.base_every = 1;  // a base at every sync
        Fleet fleet({"A", "B"}, schema, options);
        // Written, then deleted, then written again: no page of the file may keep it.
        fleet.write("A", "INSERT INTO \"LocalCache\" VALUES ('c1', 'PRIVATE-VALUE-8b1f', 1764547200000);");
        fleet.write("A", seed_rows);
        fleet.sync("A");
        fleet.write("A", "INSERT INTO \"LocalCache\" VALUES ('c2', 'PRIVATE-VALUE-8b1f', 1764547200000);"
                         "UPDATE \"User\" SET name = 'Ann B' WHERE id = 'u1'");
        fleet.sync("A");
        fleet.sync("B");
        std::size_t files = 0;
        for (const auto& entry : fs::recursive_directory_iterator(fleet.share())) {
            if (!entry.is_regular_file()) continue;
            ++files;
            std::ifstream in(entry.path(), std::ios::binary);
            const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            CAPTURE(entry.path().string());
            CHECK(bytes.find("PRIVATE-VALUE-8b1f") == std::string::npos);
            if (bytes.starts_with(std::string("SQLite format 3\0", 16)) &&
                count(entry.path(), "SELECT count(*) FROM sqlite_master WHERE name = 'LocalCache'") == 1)  // not in segments
                CHECK(count(entry.path(), "SELECT count(*) FROM \"LocalCache\"") == 0);
        }
        CHECK(files > 0);
        CHECK(fleet.dump("B")["User"] == fleet.dump("A")["User"]);
        CHECK(fleet.dump("B")["LocalCache"].empty());
        CHECK(count(fleet.database("A"), "SELECT count(*) FROM \"LocalCache\"") == 2);
    }
}

TEST_CASE("schema_version auto covers only the tables the original syncs: a client that syncs more still matches") {
    const std::vector<ColumnSchema> user_columns{{"id", "TEXT", true, 1}, {"updatedAt", "DATETIME", true, 0}};
    const std::vector<TableInfo> original{{"User", {"id"}, "updatedAt", user_columns}};
    std::vector<TableInfo> more = original;
    more.push_back({"Like", {"userId", "postId"}, "", {{"userId", "TEXT", true, 1}, {"postId", "TEXT", true, 2}}});
    more.push_back({"Note", {"id"}, "", {{"id", "TEXT", true, 1}}});
    CHECK(auto_schema_version(more) == auto_schema_version(original));
}

TEST_CASE("mixed fleets: a client that syncs fewer tables still exchanges the ones both sync") {
    Fleet fleet({"A", "B"}, prisma_schema(), prisma_options(ExchangeLayout::snapshot));
    // B keeps the original's rules, and its database has no Like, no _PostToTag.
    fleet.write("B", "DROP TABLE \"_PostToTag\"; DROP TABLE \"Like\"");
    auto b_config = fleet.config("B");
    b_config.discovery = PluginSection{.plugin = "auto", .key = "discovery"};
    SyncClient b(b_config);
    fleet.write("A", seed_rows);
    fleet.sync("A");
    const SyncResult got = b.sync_now();
    CHECK(count(fleet.database("B"), "SELECT count(*) FROM \"Post\"") == 2);
    fleet.write("B", "UPDATE \"Tag\" SET name = 'News', \"updatedAt\" = 1764547300000 WHERE id = 't1'");
    b.sync_now();
    const SyncResult a = fleet.sync("A");
    CHECK(count(fleet.database("A"), "SELECT count(*) FROM \"Tag\" WHERE name = 'News'") == 1);
    CHECK(std::any_of(a.warnings.begin(), a.warnings.end(), [](const std::string& w) {
        return w.find("peer 'B' has no table 'Like' keyed by (userId, postId)") != std::string::npos;
    }));
    CHECK(a.skipped_remotes.empty());
    CHECK(got.skipped_remotes.empty());
}

TEST_CASE("a Prisma fleet in sync moves nothing more: capture-time versions are made once") {
    for (const auto exchange : {ExchangeLayout::snapshot, ExchangeLayout::journal}) {
        CAPTURE(exchange == ExchangeLayout::journal);
        Fleet fleet({"A", "B", "C"}, prisma_schema(), prisma_options(exchange));
        fleet.write("A", seed_rows);
        converge(fleet);
        for (const auto& id : fleet.ids()) {
            CAPTURE(id);
            const SyncResult quiet = fleet.sync(id);
            CHECK(quiet.bytes_published == 0);
            CHECK(quiet.bytes_fetched == 0);
        }
    }
}

TEST_CASE("clients set up on copies of one database agree on the versions of rows without a timestamp") {
    Fleet fleet({"A", "B"}, prisma_schema(), prisma_options(ExchangeLayout::snapshot));
    for (const auto& id : fleet.ids()) fleet.write(id, seed_rows);  // the same rows before sync was set up
    fleet.sync_all(1);
    // Nothing differs: no client takes the other's rows as newer, nor puts its copy again.
    for (const auto& id : fleet.ids()) {
        CAPTURE(id);
        const auto copy = fleet.share() / ("client-" + id + ".sqlite");
        const auto put = fs::last_write_time(copy);
        const SyncResult again = fleet.sync(id);
        CHECK(again.updated == 0);
        CHECK(fs::last_write_time(copy) == put);
        // At most its digest report, which now says it read the other's copy.
        CHECK(again.bytes_published <= fs::file_size(fleet.share() / "nas-sync" / "digests" / (id + ".json")));
    }
    CHECK(fleet.dump("A", join_tables) == fleet.dump("B", join_tables));
}

TEST_CASE("a composite key listed in another order is used in the order the schema declares it") {
    auto options = prisma_options(ExchangeLayout::snapshot);
    options.discovery = PluginSection{.plugin = "explicit", .key = "discovery"};
    options.discovery->options["tables"] = RawOption{std::vector<std::string>{"Like"}, {}};
    options.discovery->options["timestamp_column"] = RawOption{std::string("none"), {}};
    options.discovery->options["primary_keys"] = RawOption{std::map<std::string, std::string>{{"Like", "postId,userId"}}, {}};
    Fleet fleet({"A"}, prisma_schema(), options);
    const auto tables = fleet.client("A").synced_tables();
    REQUIRE(tables.size() == 1);
    CHECK(tables[0].key_columns == std::vector<std::string>{"userId", "postId"});
}

TEST_CASE("a repair's version follows the states it repairs, not the clock: a child moved to a live parent meanwhile stays") {
    Fleet fleet({"A", "B", "X"}, prisma_schema(), prisma_options(ExchangeLayout::snapshot));
    fleet.write("A", seed_rows);
    converge(fleet);
    // A deletes Ann; B, not knowing, writes a post by her; A and X meet
    // both and delete that post (its parent is gone). Then B, whose
    // application's clock runs a little behind theirs, gives the post to Bob:
    // that change is newer than the post they deleted, so it wins, as it
    // would had they not been there (a repair stamped with their clocks
    // would have deleted it for good).
    fleet.write("A", "DELETE FROM \"Like\" WHERE \"userId\" = 'u1'; DELETE FROM \"User\" WHERE id = 'u1'");
    // Past the end of the second Ann's deletion is dated to (tombstones are to the second).
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    fleet.write("B", "INSERT INTO \"Post\" VALUES ('p9', 'Late', 'u1', NULL, "
                     "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))");
    const std::int64_t written = count(fleet.database("B"), "SELECT \"updatedAt\" FROM \"Post\" WHERE id = 'p9'");
    fleet.sync("B");
    fleet.sync("A");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    fleet.sync("X");
    REQUIRE(count(fleet.database("X"), "SELECT count(*) FROM \"Post\" WHERE id = 'p9'") == 0);
    fleet.write("B", fmt::format("UPDATE \"Post\" SET \"authorId\" = 'u2', \"updatedAt\" = {} WHERE id = 'p9'", written + 10));
    converge(fleet);
    check_same_everywhere(fleet);
    for (const auto& id : fleet.ids()) {
        CAPTURE(id);
        CHECK(count(fleet.database(id), "SELECT count(*) FROM \"Post\" WHERE id = 'p9' AND \"authorId\" = 'u2'") == 1);
    }
}
