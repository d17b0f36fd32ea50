// The nas-sync command line, run as a real process: exit statuses (0 success,
// 1 run-time failure, 2 usage or configuration error) and JSON shapes.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <set>

#include "test_support.hpp"

using namespace nas_sync::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::set<std::string> keys_of(const json& object) {
    std::set<std::string> out;
    for (const auto& [k, v] : object.items()) out.insert(k);
    return out;
}

// A database and a share ready for a pipeline in `dir`.
void make_site(const TempDir& dir) {
    create_database(dir / "app.sqlite",
                    "CREATE TABLE users(id TEXT PRIMARY KEY, name TEXT, updatedAt TEXT);"
                    "CREATE TABLE audit(id TEXT PRIMARY KEY, what TEXT);"
                    "INSERT INTO users VALUES('u1', 'Ann', '2026-01-01T00:00:00Z');");
    fs::create_directory(dir / "nas");
    write_file(dir / "nas-sync.yaml",
               "version: 1\nclient_id: pc1\ndatabase: app.sqlite\ntransport:\n  plugin: fs\n  path: nas\n");
}

}  // namespace

TEST_CASE("--version, --help and usage errors") {
    auto r = run_nas_sync({"--version"});
    CHECK(r.status == 0);
    CHECK(r.out.find("nas-sync 0.") == 0);
    for (const char* command : {"plugins", "check", "init"}) {
        CAPTURE(command);
        r = run_nas_sync({command, "--help"});
        CHECK(r.status == 0);
        CHECK(r.out.find("Usage") != std::string::npos);
    }
    CHECK(run_nas_sync({}).status == 2);
    CHECK(run_nas_sync({"frobnicate"}).status == 2);
    CHECK(run_nas_sync({"check", "--no-such-flag"}).status == 2);
    CHECK(run_nas_sync({"init", "--db", "x.sqlite"}).status == 2);  // --share and --client missing
}

TEST_CASE("plugins --json lists every plugin with exactly kind, name, version, description, path") {
    const auto r = run_nas_sync({"plugins", "--json"});
    REQUIRE(r.status == 0);
    const auto list = json::parse(r.out);
    REQUIRE(list.is_array());
    std::set<std::string> found;
    for (const auto& p : list) {
        CHECK(keys_of(p) == std::set<std::string>{"kind", "name", "version", "description", "path"});
        CHECK(fs::exists(p["path"].get<std::string>()));
        found.insert(p["kind"].get<std::string>() + ":" + p["name"].get<std::string>());
    }
    CHECK(found.count("transport:fs"));
    CHECK(found.count("transport:nats"));
    CHECK(found.count("discovery:auto"));
    CHECK(found.count("discovery:explicit"));
    CHECK(found.count("resolver:lww"));
    CHECK(found.count("resolver:delete-protected"));
}

TEST_CASE("plugins reports a refused library on stderr and exits 2") {
    const auto r = run_nas_sync({"plugins"}, {}, {{"NAS_SYNC_PLUGIN_PATH", test_plugin_dir("wrong-api").string()}});
    CHECK(r.status == 2);
    CHECK(r.err.find("plugin API version 999") != std::string::npos);
    CHECK(r.out.find("fs") != std::string::npos);  // the good plugins are still listed
}

TEST_CASE("check prints the plan, changes nothing, and exits 0") {
    TempDir dir;
    make_site(dir);
    const auto before = read_file(dir / "app.sqlite");
    const auto r = run_nas_sync({"check", "--json"}, dir.path());
    REQUIRE_MESSAGE(r.status == 0, r.err);
    const auto plan = json::parse(r.out);
    CHECK(keys_of(plan) == std::set<std::string>{"client_id", "database", "transport", "exchange", "discovery",
                                                 "tables", "resolvers", "interval_ms", "warnings"});
    CHECK(plan["client_id"] == "pc1");
    REQUIRE(plan["tables"].size() == 1);
    CHECK(plan["tables"][0]["name"] == "users");
    CHECK(plan["tables"][0]["primary_key"] == "id");
    CHECK(plan["tables"][0]["timestamp_column"] == "updatedAt");
    CHECK(plan["resolvers"][0]["plugin"] == "lww");
    CHECK(plan["warnings"].size() == 1);
    CHECK(read_file(dir / "app.sqlite") == before);
    CHECK(fs::is_empty(dir / "nas"));
    CHECK_FALSE(fs::exists(dir / "app.sqlite-wal"));

    const auto text = run_nas_sync({"check"}, dir.path());
    CHECK(text.status == 0);
    CHECK(text.out.find("users") != std::string::npos);
}

TEST_CASE("check on a pipeline with a misspelt transport option exits 2 naming file, line and option") {
    TempDir dir;
    make_site(dir);
    write_file(dir / "bad.yaml", "version: 1\nclient_id: pc1\ndatabase: app.sqlite\ntransport:\n  plugin: fs\n  pth: nas\n");
    const auto r = run_nas_sync({"check", "--config", (dir / "bad.yaml").string()});
    CHECK(r.status == 2);
    CHECK(r.err.find((dir / "bad.yaml").string() + ":6:3: unknown option 'pth'") != std::string::npos);
    CHECK(r.err.find("valid options: path") != std::string::npos);
    CHECK(r.out.empty());
}

TEST_CASE("check exits 1 when the database is missing, and 2 when the pipeline file is") {
    TempDir dir;
    make_site(dir);
    fs::remove(dir / "app.sqlite");
    auto r = run_nas_sync({"check"}, dir.path());
    CHECK(r.status == 1);
    CHECK(r.err.find("app.sqlite' does not exist") != std::string::npos);
    r = run_nas_sync({"check", "--config", "missing.yaml"}, dir.path());
    CHECK(r.status == 2);
    CHECK(r.err.find("missing.yaml: cannot read the pipeline file") != std::string::npos);
}

TEST_CASE("init writes a starter pipeline that check accepts, and never overwrites") {
    TempDir dir;
    make_site(dir);
    fs::remove(dir / "nas-sync.yaml");
    auto r = run_nas_sync({"init", "--db", "app.sqlite", "--share", "nas", "--client", "front-desk"}, dir.path());
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(r.out.find("users") != std::string::npos);
    const auto written = read_file(dir / "nas-sync.yaml");
    CHECK(written.find("client_id: front-desk") != std::string::npos);
    CHECK(run_nas_sync({"check"}, dir.path()).status == 0);

    r = run_nas_sync({"init", "--db", "app.sqlite", "--share", "nas", "--client", "other"}, dir.path());
    CHECK(r.status == 2);
    CHECK(r.err.find("already exists") != std::string::npos);
    CHECK(read_file(dir / "nas-sync.yaml") == written);
}

TEST_CASE("init refuses a bad client id or a database with nothing to sync, writing nothing") {
    TempDir dir;
    make_site(dir);
    fs::remove(dir / "nas-sync.yaml");
    auto r = run_nas_sync({"init", "--db", "app.sqlite", "--share", "nas", "--client", "x/../../evil"}, dir.path());
    CHECK(r.status == 2);
    CHECK(r.err.find("not a valid client id") != std::string::npos);
    create_database(dir / "empty.sqlite", "CREATE TABLE logs(line TEXT);");
    r = run_nas_sync({"init", "--db", "empty.sqlite", "--share", "nas", "--client", "pc1", "--json"}, dir.path());
    CHECK(r.status == 2);
    CHECK(r.err.find("no table to sync") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "nas-sync.yaml"));
}
