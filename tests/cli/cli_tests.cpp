// The nas-sync command line, run as a real process: exit statuses (0 success,
// 1 run-time failure, 2 usage or configuration error) and JSON shapes.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

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

TEST_CASE("plugins --json lists every plugin with exactly kind, name, version, description, path and options") {
    const auto r = run_nas_sync({"plugins", "--json"});
    REQUIRE(r.status == 0);
    const auto list = json::parse(r.out);
    REQUIRE(list.is_array());
    std::set<std::string> found;
    for (const auto& p : list) {
        CHECK(keys_of(p) == std::set<std::string>{"kind", "name", "version", "description", "path", "options"});
        CHECK(fs::exists(p["path"].get<std::string>()));
        for (const auto& o : p["options"])
            CHECK(keys_of(o) == std::set<std::string>{"name", "type", "required", "default", "description"});
        found.insert(p["kind"].get<std::string>() + ":" + p["name"].get<std::string>());
        if (p["name"] == "fs")
            CHECK(p["options"] == json::parse(R"j([{"name": "path", "type": "path", "required": true, "default": "required",
                "description": "Folder of the share (a mounted NAS or any local folder); relative to the pipeline file"}])j"));
        if (p["name"] == "auto") {
            REQUIRE(p["options"].size() == 5);
            CHECK(p["options"][0] == json::parse(R"j({"name": "primary_key", "type": "string", "required": false,
                "default": "id", "description": "Primary-key column every synced table has (TEXT)"})j"));
        }
    }
    CHECK(found.count("transport:fs"));
    CHECK(found.count("transport:nats"));
    CHECK(found.count("discovery:auto"));
    CHECK(found.count("discovery:explicit"));
    CHECK(found.count("resolver:lww"));
    CHECK(found.count("resolver:delete-protected"));
    CHECK(found.count("hook:exec"));
    CHECK(found.count("hook:sql"));
}

TEST_CASE("plugins reports a refused library on stderr and exits 2") {
    const auto r = run_nas_sync({"plugins"}, {}, {{"NAS_SYNC_PLUGIN_PATH", test_plugin_dir("wrong-api").string()}});
    CHECK(r.status == 2);
    CHECK(r.err.find("plugin API version 999") != std::string::npos);
    CHECK(r.out.find("fs") != std::string::npos);  // the good plugins are still listed

    // With --json the refusal is one object with `error`, as every error is.
    const auto j = run_nas_sync({"plugins", "--json"}, {}, {{"NAS_SYNC_PLUGIN_PATH", test_plugin_dir("wrong-api").string()}});
    CHECK(j.status == 2);
    const auto out = json::parse(j.out);
    REQUIRE(out.is_object());
    CHECK(out["error"].get<std::string>().find("plugin API version 999") != std::string::npos);
    CHECK(out["exit_status"] == 2);
    CHECK(out["problems"].size() == 1);
    CHECK(out["plugins"].size() >= 3);  // the good plugins are still listed
}

TEST_CASE("check prints the plan, changes nothing, and exits 0") {
    TempDir dir;
    make_site(dir);
    const auto before = read_file(dir / "app.sqlite");
    const auto r = run_nas_sync({"check", "--json"}, dir.path());
    REQUIRE_MESSAGE(r.status == 0, r.err);
    const auto plan = json::parse(r.out);
    CHECK(keys_of(plan) == std::set<std::string>{"client_id", "database", "transport", "exchange", "discovery",
                                                 "tables", "resolvers", "hooks", "interval_ms", "warnings"});
    CHECK(plan["client_id"] == "pc1");
    REQUIRE(plan["tables"].size() == 1);
    CHECK(plan["tables"][0]["name"] == "users");
    CHECK(plan["tables"][0]["key_columns"] == json::array({"id"}));
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

TEST_CASE("sync on a YAML alias bomb exits 2 naming the line, having written nothing") {
    TempDir dir;
    make_site(dir);
    std::string text = "version: 1\nclient_id: pc1\ndatabase: app.sqlite\ntransport: {plugin: fs, path: nas}\n"
                       "discovery:\n  plugin: auto\n  exclude: [&a \"" + std::string(100000, 'x') + "\"";
    for (int i = 0; i < 40000; ++i) text += ", *a";  // 4 GB once expanded
    text += "]\n";
    write_file(dir / "bomb.yaml", text);
    const auto before = read_file(dir / "app.sqlite");
    const auto r = run_nas_sync({"sync", "--config", (dir / "bomb.yaml").string()});
    CHECK(r.status == 2);
    CHECK(r.err.find((dir / "bomb.yaml").string() + ":7:13: the pipeline's values add up to more than") !=
          std::string::npos);
    CHECK(read_file(dir / "app.sqlite") == before);
    CHECK(fs::is_empty(dir / "nas"));
}

TEST_CASE("check exits 2 at the database key's FILE:LINE when the database is missing, and 2 when the pipeline file is") {
    TempDir dir;
    make_site(dir);
    fs::remove(dir / "app.sqlite");
    auto r = run_nas_sync({"check"}, dir.path());
    CHECK(r.status == 2);
    CHECK(r.err.find("nas-sync.yaml:3:11: key 'database': '" + (dir / "app.sqlite").string() + "' does not exist") !=
          std::string::npos);
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

TEST_CASE("init chooses the exchange from who is on the share, and --exchange overrides it") {
    TempDir dir;
    make_site(dir);  // nas-sync.yaml: pc1, snapshot
    auto init = [&](const std::string& id, const std::vector<std::string>& more = {}) {
        std::vector<std::string> args{"--config", id + ".yaml", "init", "--db", "app.sqlite", "--share", "nas",
                                      "--client", id};
        args.insert(args.end(), more.begin(), more.end());
        const auto r = run_nas_sync(args, dir.path());
        REQUIRE_MESSAGE(r.status == 0, r.err);
        REQUIRE(run_nas_sync({"--config", id + ".yaml", "check"}, dir.path()).status == 0);
        return read_file(dir / (id + ".yaml"));
    };
    // Nobody yet: the layout that costs what changed.
    auto written = init("desk");
    CHECK(written.find("exchange: journal\n# no client on the share yet") != std::string::npos);
    // Only a snapshot-layout client (as the original's are): keep its layout, and say why.
    REQUIRE(run_nas_sync({"sync"}, dir.path()).status == 0);
    written = init("till");
    CHECK(written.find("exchange: snapshot\n# the share has clients of the snapshot layout only (pc1)") !=
          std::string::npos);
    // A journal client beside it: a mixed office, journal with a snapshot for the others.
    REQUIRE(run_nas_sync({"--config", "desk.yaml", "sync"}, dir.path()).status == 0);
    written = init("office");
    CHECK(written.find("exchange: journal\n# a mixed share: journal clients (desk) and snapshot-only clients (pc1),\n"
                       "journal:\n  snapshot_every: 5m") != std::string::npos);
    // Chosen by hand.
    written = init("back", {"--exchange", "snapshot"});
    CHECK(written.find("exchange: snapshot   # chosen with --exchange") != std::string::npos);
    const auto r = run_nas_sync({"--config", "x.yaml", "init", "--db", "app.sqlite", "--share", "nas", "--client", "x",
                                 "--exchange", "jornal"},
                                dir.path());
    CHECK(r.status == 2);
    CHECK(r.err.find("--exchange") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "x.yaml"));
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

TEST_CASE("an unknown command is named, with the closest command") {
    const auto r = run_nas_sync({"synk"});
    CHECK(r.status == 2);
    CHECK(r.err.find("unknown command 'synk' (did you mean 'sync'?)") != std::string::npos);
    CHECK(run_nas_sync({"--config", "x.yaml", "frobnicate"}).err.find("unknown command 'frobnicate'; commands: init") !=
          std::string::npos);
}

TEST_CASE("a database that is a folder, or not SQLite, is named with its path as what it is, exit 2") {
    TempDir dir;
    make_site(dir);
    fs::remove(dir / "app.sqlite");
    fs::create_directory(dir / "app.sqlite");
    auto r = run_nas_sync({"sync"}, dir.path());
    CHECK(r.status == 2);
    CHECK(r.err.find("key 'database': '" + (dir / "app.sqlite").string() + "' is a folder, not a SQLite database file") !=
          std::string::npos);
    fs::remove(dir / "app.sqlite");
    write_file(dir / "app.sqlite", "name,phone\nAda,555-0101\n");
    r = run_nas_sync({"sync"}, dir.path());
    CHECK(r.status == 2);
    CHECK(r.err.find("'" + (dir / "app.sqlite").string() + "' is not a SQLite database") != std::string::npos);
    CHECK(read_file(dir / "app.sqlite") == "name,phone\nAda,555-0101\n");  // nothing written
}

TEST_CASE("with --json, an error is one JSON object on stdout with the same exit status") {
    TempDir dir;
    make_site(dir);
    fs::remove(dir / "app.sqlite");
    auto r = run_nas_sync({"sync", "--json"}, dir.path());
    CHECK(r.status == 2);
    const auto error = json::parse(r.out);
    CHECK(error["file"] == "nas-sync.yaml");  // as the command line named it (the default)
    CHECK(error["line"] == 3);
    CHECK(error["column"] == 11);
    CHECK(error["key"] == "database");
    CHECK(error["exit_status"] == 2);
    CHECK(error["error"].get<std::string>().find("does not exist") != std::string::npos);
    r = run_nas_sync({"synk", "--json"});
    CHECK(r.status == 2);
    CHECK(json::parse(r.out)["error"].get<std::string>().find("unknown command 'synk'") != std::string::npos);
    r = run_nas_sync({"status", "--json", "--no-such-flag"});
    CHECK(r.status == 2);
    CHECK(json::parse(r.out).contains("error"));
}

TEST_CASE("init with a bad share names --share, not the pipeline file it did not write") {
    TempDir dir;
    make_site(dir);
    fs::remove(dir / "nas-sync.yaml");
    auto r = run_nas_sync({"init", "--db", "app.sqlite", "--share", "no-such-folder", "--client", "pc1"}, dir.path());
    CHECK(r.status == 2);
    CHECK(r.err.find("--share 'no-such-folder': ") != std::string::npos);
    CHECK(r.err.find("nas-sync.yaml") == std::string::npos);
    r = run_nas_sync({"init", "--db", "nope.sqlite", "--share", "nas", "--client", "pc1"}, dir.path());
    CHECK(r.status == 2);
    CHECK(r.err.find("--db 'nope.sqlite' does not exist") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "nas-sync.yaml"));
    r = run_nas_sync({"init", "--db", "app.sqlite", "--share", "nas", "--client", ".."}, dir.path());
    CHECK(r.status == 2);
    CHECK(r.err.find("--client '..' is not a valid client id") != std::string::npos);
}

TEST_CASE("a share that cannot be written is a run-time failure (exit 1), not a configuration error") {
    TempDir dir;
    make_site(dir);
    ProcessResult r;
    if (::geteuid() == 0) {
        // Root writes anywhere: run as nobody, who owns everything but the share.
        const uid_t nobody = 65534;
        REQUIRE(::chown(dir.path().c_str(), nobody, nobody) == 0);
        for (const auto& entry : fs::directory_iterator(dir.path()))
            if (entry.path().filename() != "nas") REQUIRE(::chown(entry.path().c_str(), nobody, nobody) == 0);
        r = run_process({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", nas_sync_binary().string(), "sync"},
                        dir.path());
    } else {
        fs::permissions(dir / "nas", fs::perms::owner_read | fs::perms::owner_exec);
        r = run_nas_sync({"sync"}, dir.path());
        fs::permissions(dir / "nas", fs::perms::owner_all);
    }
    CHECK_MESSAGE(r.status == 1, r.err);
    CHECK(r.err.find("share folder '" + (dir / "nas").string() + "' cannot be written by this user") != std::string::npos);
    CHECK(fs::is_empty(dir / "nas"));
}
