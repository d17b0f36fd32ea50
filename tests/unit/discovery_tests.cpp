// Table discovery: the `auto` plugin follows the original's rules, the
// `explicit` plugin takes exactly the listed tables. Both run as the real
// plugin libraries, on real SQLite files.
#include <doctest/doctest.h>

#include "database/schema.hpp"
#include "plugins/plugin_registry.hpp"
#include "test_support.hpp"

using namespace nas_sync;
using namespace nas_sync::test;
namespace fs = std::filesystem;

namespace {

const PluginRegistry& registry() {
    static const PluginRegistry r({build_plugin_dir()});
    return r;
}

PluginSection section(const std::string& plugin, std::map<std::string, RawOption::Value> options = {}) {
    PluginSection s;
    s.plugin = plugin;
    s.key = "discovery";
    for (auto& [k, v] : options) s.options[k] = RawOption{v, {}};
    return s;
}

DiscoveryResult discover(const fs::path& db_file, const PluginSection& s) {
    SQLite::Database db(db_file.string(), SQLite::OPEN_READONLY);
    return registry().make_discovery(s, ".")->discover(read_schema(db));
}

std::vector<std::string> names(const DiscoveryResult& r) {
    std::vector<std::string> out;
    for (const auto& t : r.tables) out.push_back(t.name);
    return out;
}

bool any_warning_mentions(const DiscoveryResult& r, const std::string& text) { return has_warning(r.warnings, text); }

const char* app_schema = R"(
CREATE TABLE users(id TEXT PRIMARY KEY, name TEXT, updatedAt TEXT);
CREATE TABLE "Order Items"(id TEXT PRIMARY KEY, qty INTEGER, updatedAt TEXT);
CREATE TABLE _private(id TEXT PRIMARY KEY, updatedAt TEXT);
CREATE TABLE audit(id TEXT PRIMARY KEY, what TEXT, modifiedAt TEXT);
CREATE TABLE LocalCache(id TEXT PRIMARY KEY, blob BLOB);
CREATE TABLE counters(id INTEGER PRIMARY KEY, n INTEGER, updatedAt TEXT);
CREATE TABLE logs(line TEXT, updatedAt TEXT);
CREATE VIEW user_names AS SELECT name FROM users;
)";

}  // namespace

TEST_CASE("auto: the original's rules") {
    TempDir dir;
    create_database(dir / "app.sqlite", app_schema);

    SUBCASE("internal prefixes, TEXT keys and timestamp columns; sorted by name") {
        const auto r = discover(dir / "app.sqlite", section("auto"));
        CHECK(names(r) == std::vector<std::string>{"Order Items", "users"});
        CHECK(any_warning_mentions(r, "table 'audit' skipped: it has the key column 'id' but no timestamp column 'updatedAt'"));
        CHECK(any_warning_mentions(r, "table 'LocalCache' skipped"));
        CHECK(any_warning_mentions(r, "table 'counters' skipped: its key column 'id' is declared 'INTEGER', not TEXT"));
        CHECK_FALSE(any_warning_mentions(r, "_private"));
        CHECK_FALSE(any_warning_mentions(r, "logs"));  // no key column: not meant for sync
        CHECK(r.tables[1].key_columns == std::vector<std::string>{"id"});
        CHECK(r.tables[1].timestamp_column == "updatedAt");
    }
    SUBCASE("per-table timestamp column, and exclude silences warnings") {
        const auto r = discover(dir / "app.sqlite",
                                section("auto", {{"timestamp_columns", std::map<std::string, std::string>{{"audit", "modifiedAt"}}},
                                                 {"exclude", std::vector<std::string>{"LocalCache", "counters", "users"}}}));
        CHECK(names(r) == std::vector<std::string>{"Order Items", "audit"});
        CHECK(r.tables[1].timestamp_column == "modifiedAt");
        CHECK(r.warnings.empty());
    }
    SUBCASE("another key column name") {
        create_database(dir / "other.sqlite",
                        "CREATE TABLE a(uid TEXT PRIMARY KEY, updatedAt TEXT); CREATE TABLE b(id TEXT PRIMARY KEY, updatedAt TEXT);");
        const auto r = discover(dir / "other.sqlite", section("auto", {{"primary_key", std::string("uid")}}));
        CHECK(names(r) == std::vector<std::string>{"a"});
        CHECK(r.tables[0].key_columns == std::vector<std::string>{"uid"});
    }
    SUBCASE("zero tables is an error") {
        create_database(dir / "empty.sqlite", "CREATE TABLE logs(line TEXT);");
        CHECK_THROWS_WITH_AS(discover(dir / "empty.sqlite", section("auto")), doctest::Contains("no table to sync"), Error);
    }
}

TEST_CASE("auto: the tables the original chose for its schema-version fixtures") {
    const auto dir = fixtures_dir() / "schema-version";
    CHECK(names(discover(dir / "prisma-mixed-case.sqlite", section("auto"))) ==
          std::vector<std::string>{"Post", "User", "attachments", "comments"});
    CHECK(names(discover(dir / "simple-lowercase.sqlite", section("auto"))) == std::vector<std::string>{"posts", "users"});
}

TEST_CASE("explicit: exactly the listed tables, each checked") {
    TempDir dir;
    create_database(dir / "app.sqlite", app_schema);
    const auto db = dir / "app.sqlite";

    const auto r = discover(db, section("explicit", {{"tables", std::vector<std::string>{"users", "audit"}},
                                                     {"timestamp_columns", std::map<std::string, std::string>{{"audit", "modifiedAt"}}}}));
    CHECK(names(r) == std::vector<std::string>{"audit", "users"});
    CHECK(r.tables[0].timestamp_column == "modifiedAt");
    CHECK(r.warnings.empty());

    CHECK_THROWS_WITH_AS(discover(db, section("explicit", {{"tables", std::vector<std::string>{"nope"}}})),
                         doctest::Contains("listed table 'nope' does not exist"), Error);
    CHECK_THROWS_WITH_AS(discover(db, section("explicit", {{"tables", std::vector<std::string>{"audit"}}})),
                         doctest::Contains("listed table 'audit' has no timestamp column 'updatedAt'"), Error);
    CHECK_THROWS_WITH_AS(discover(db, section("explicit", {{"tables", std::vector<std::string>{"logs"}}})),
                         doctest::Contains("listed table 'logs' cannot be keyed by (id): has no column 'id'"), Error);
    CHECK_THROWS_WITH_AS(
        registry().make_discovery(section("explicit", {{"tables", std::vector<std::string>{"users"}},
                                                       {"primary_keys", std::map<std::string, std::string>{{"usres", "id"}}}}),
                                  "."),
        doctest::Contains("names table 'usres', which 'tables' does not list"), Error);
    CHECK_THROWS_WITH_AS(registry().make_discovery(section("explicit"), "."),
                         doctest::Contains("needs option 'tables'"), Error);
}

TEST_CASE("auto: names in the pipeline match tables as SQLite matches them, case aside, and a name that matches none is a warning") {
    TempDir dir;
    create_database(dir / "app.sqlite", R"(
CREATE TABLE users(id TEXT PRIMARY KEY, name TEXT, updatedAt TEXT);
CREATE TABLE Private(id TEXT PRIMARY KEY, secret TEXT, updatedAt TEXT);
CREATE TABLE Audit(ID TEXT PRIMARY KEY, what TEXT, ModifiedAt TEXT);
)");
    const auto r = discover(dir / "app.sqlite",
                            section("auto", {{"exclude", std::vector<std::string>{"private", "no_such_table"}},
                                             {"timestamp_columns", std::map<std::string, std::string>{{"audit", "modifiedat"}}}}));
    CHECK(names(r) == std::vector<std::string>{"Audit", "users"});  // `Private` excluded by `private`
    // The schema's spelling is what the engine gets.
    CHECK(r.tables[0].key_columns == std::vector<std::string>{"ID"});
    CHECK(r.tables[0].timestamp_column == "ModifiedAt");
    CHECK(any_warning_mentions(r, "exclude names table 'no_such_table', which does not exist"));
    CHECK_FALSE(any_warning_mentions(r, "'private'"));
}

TEST_CASE("explicit: listed names match tables and columns case aside, and come back in the schema's spelling") {
    TempDir dir;
    create_database(dir / "app.sqlite", "CREATE TABLE Users(Id TEXT PRIMARY KEY, name TEXT, UpdatedAt TEXT);");
    const auto r = discover(dir / "app.sqlite",
                            section("explicit", {{"tables", std::vector<std::string>{"users"}},
                                                 {"primary_key", std::string("id")},
                                                 {"timestamp_columns", std::map<std::string, std::string>{{"USERS", "updatedat"}}}}));
    REQUIRE(r.tables.size() == 1);
    CHECK(r.tables[0].name == "Users");
    CHECK(r.tables[0].key_columns == std::vector<std::string>{"Id"});
    CHECK(r.tables[0].timestamp_column == "UpdatedAt");
    CHECK_THROWS_WITH_AS(registry().make_discovery(section("explicit", {{"tables", std::vector<std::string>{"users", "USERS"}}}), "."),
                         doctest::Contains("table 'users' is listed twice"), Error);
}

namespace {

std::map<std::string, std::pair<std::vector<std::string>, std::string>> keys_of(const DiscoveryResult& r) {
    std::map<std::string, std::pair<std::vector<std::string>, std::string>> out;
    for (const auto& t : r.tables) out[t.name] = {t.key_columns, t.timestamp_column};
    return out;
}

using Keys = std::map<std::string, std::pair<std::vector<std::string>, std::string>>;

const char* keyed_schema = R"(
CREATE TABLE users(id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, updatedAt TEXT);
CREATE TABLE likes(userId TEXT NOT NULL, postId TEXT NOT NULL, PRIMARY KEY (userId, postId));
CREATE TABLE codes(code TEXT NOT NULL, label TEXT);
CREATE UNIQUE INDEX codes_code ON codes(code);
CREATE TABLE notes(id TEXT PRIMARY KEY, body TEXT);
CREATE TABLE counters(id INTEGER PRIMARY KEY, n INTEGER);
CREATE TABLE loose(a TEXT, b TEXT, UNIQUE (a, b));
CREATE TABLE numbered(id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);
CREATE TABLE emails(email TEXT NOT NULL, note TEXT);
CREATE UNIQUE INDEX emails_nocase ON emails(email COLLATE NOCASE);
CREATE TABLE "_PostToTag"(A TEXT NOT NULL, B TEXT NOT NULL);
CREATE UNIQUE INDEX "_PostToTag_AB_unique" ON "_PostToTag"(A, B);
)";

}  // namespace

TEST_CASE("auto: composite-key and join-shaped tables are named in warnings; all_keyed_tables syncs them") {
    TempDir dir;
    create_database(dir / "app.sqlite", keyed_schema);
    const auto plain = discover(dir / "app.sqlite", section("auto"));
    CHECK(names(plain) == std::vector<std::string>{"users"});
    CHECK(any_warning_mentions(plain, "table 'likes' skipped: its primary key is composite (userId, postId); all_keyed_tables: true"));
    CHECK(any_warning_mentions(plain, "table '_PostToTag' skipped: it looks like a Prisma many-to-many table"));
    CHECK(any_warning_mentions(plain, "table 'notes' skipped: it has the key column 'id' but no timestamp column"));

    const auto wide = discover(dir / "app.sqlite", section("auto", {{"all_keyed_tables", std::string("true")}}));
    CHECK(keys_of(wide) == Keys{{"codes", {{"code"}, ""}},
                                {"likes", {{"userId", "postId"}, ""}},
                                {"notes", {{"id"}, ""}},
                                {"users", {{"id"}, "updatedAt"}}});
    CHECK(any_warning_mentions(wide, "table 'counters' skipped: no TEXT primary key"));
    CHECK(any_warning_mentions(wide, "table 'loose' skipped"));  // its UNIQUE columns may be NULL
    // Its INTEGER ids would be applied from peers too: not keyed by its UNIQUE code.
    CHECK(any_warning_mentions(wide, "table 'numbered' skipped"));
}

TEST_CASE("explicit: composite keys written comma-separated, UNIQUE-index keys, and timestamp none") {
    TempDir dir;
    create_database(dir / "app.sqlite", keyed_schema);
    const auto db = dir / "app.sqlite";
    const auto r = discover(db, section("explicit", {{"tables", std::vector<std::string>{"likes", "codes", "_PostToTag"}},
                                                     {"timestamp_column", std::string("none")},
                                                     {"primary_keys", std::map<std::string, std::string>{
                                                                          {"likes", "postId, userId"},
                                                                          {"codes", "code"},
                                                                          {"_PostToTag", "A,B"}}}}));
    CHECK(keys_of(r) == Keys{{"_PostToTag", {{"A", "B"}, ""}}, {"codes", {{"code"}, ""}}, {"likes", {{"postId", "userId"}, ""}}});
    CHECK_THROWS_WITH_AS(discover(db, section("explicit", {{"tables", std::vector<std::string>{"likes"}},
                                                           {"timestamp_column", std::string("none")},
                                                           {"primary_keys", std::map<std::string, std::string>{{"likes", "userId"}}}})),
                         doctest::Contains("listed table 'likes' cannot be keyed by (userId): its primary key is not (userId) "
                                           "and no UNIQUE index is over them"),
                         Error);
    CHECK_THROWS_WITH_AS(discover(db, section("explicit", {{"tables", std::vector<std::string>{"loose"}},
                                                           {"timestamp_column", std::string("none")},
                                                           {"primary_keys", std::map<std::string, std::string>{{"loose", "a,b"}}}})),
                         doctest::Contains("key column 'a' is not NOT NULL"), Error);
    CHECK_THROWS_WITH_AS(discover(db, section("explicit", {{"tables", std::vector<std::string>{"numbered"}},
                                                           {"timestamp_column", std::string("none")},
                                                           {"primary_keys", std::map<std::string, std::string>{{"numbered", "code"}}}})),
                         doctest::Contains("it has a primary key (id), so that is its record key"), Error);
    // Not an upsert target for its column: an index in another collation keys nothing.
    CHECK_THROWS_WITH_AS(discover(db, section("explicit", {{"tables", std::vector<std::string>{"emails"}},
                                                           {"timestamp_column", std::string("none")},
                                                           {"primary_keys", std::map<std::string, std::string>{{"emails", "email"}}}})),
                         doctest::Contains("no UNIQUE index is over them"), Error);
    CHECK_THROWS_WITH_AS(registry().make_discovery(section("explicit", {{"tables", std::vector<std::string>{"likes"}},
                                                                        {"primary_keys", std::map<std::string, std::string>{{"likes", "userId,"}}}}),
                                                   "."),
                         doctest::Contains("table 'likes': key 'userId,' names an empty column"), Error);
}

TEST_CASE("prisma: models by their @id, many-to-many tables by (A, B), updatedAt; never _prisma_migrations") {
    TempDir dir;
    create_database(dir / "dev.db", read_file(test_fixtures_dir() / "prisma" / "schema.sql"));
    const auto r = discover(dir / "dev.db", section("prisma"));
    CHECK(keys_of(r) == Keys{{"Like", {{"userId", "postId"}, ""}},
                             {"Post", {{"id"}, "updatedAt"}},
                             {"Tag", {{"id"}, "updatedAt"}},
                             {"User", {{"id"}, "updatedAt"}},
                             {"_PostToTag", {{"A", "B"}, ""}}});
    CHECK(r.warnings.empty());

    const auto some = discover(dir / "dev.db", section("prisma", {{"exclude", std::vector<std::string>{"tag", "Nope"}},
                                                                  {"timestamp_columns", std::map<std::string, std::string>{{"post", "none"}}}}));
    CHECK(keys_of(some) == Keys{{"Like", {{"userId", "postId"}, ""}},
                                {"Post", {{"id"}, ""}},
                                {"User", {{"id"}, "updatedAt"}},
                                {"_PostToTag", {{"A", "B"}, ""}}});
    CHECK(any_warning_mentions(some, "exclude names table 'Nope', which does not exist"));
}

TEST_CASE("prisma: an autoincrement id is refused with why and how to exclude it; a model with no key is a warning") {
    TempDir dir;
    create_database(dir / "dev.db", R"(
CREATE TABLE "Counter" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "n" INTEGER NOT NULL);
CREATE TABLE "Setting" ("key" TEXT NOT NULL, "value" TEXT);
CREATE TABLE "User" ("id" TEXT NOT NULL PRIMARY KEY, "updatedAt" DATETIME NOT NULL);
)");
    CHECK_THROWS_WITH_AS(discover(dir / "dev.db", section("prisma")),
                         doctest::Contains("table 'Counter' is keyed by the integer 'id' (Int @id "
                                           "@default(autoincrement())): every computer numbers its own rows"),
                         Error);
    CHECK_THROWS_WITH_AS(discover(dir / "dev.db", section("prisma")),
                         doctest::Contains("or add 'Counter' to the discovery's exclude list"), Error);
    const auto r = discover(dir / "dev.db", section("prisma", {{"exclude", std::vector<std::string>{"Counter"}}}));
    CHECK(names(r) == std::vector<std::string>{"User"});
    CHECK(any_warning_mentions(r, "table 'Setting' skipped: no @id, @@id or @unique over required fields"));
}
