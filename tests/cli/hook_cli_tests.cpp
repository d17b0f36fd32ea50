// Hooks (`hooks:` in the pipeline) as real processes: the `exec` hook's
// command reading the event's JSON, its failures and its timeout as
// warnings, conflict hooks, the `sql` hook on the real database, and bad
// hook sections refused at their place in the file.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <SQLiteCpp/Database.h>

#include <cerrno>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "host/sync_lock.hpp"
#include "nas_sync/client.hpp"
#include "test_support.hpp"

using namespace nas_sync::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Two clients on a folder share; B's pipeline gets the hooks under test.
struct HookSite {
    TempDir dir;
    HookSite() {
        fs::create_directory(dir / "nas");
        for (const char* id : {"A", "B"})
            create_database(dir / (std::string(id) + ".sqlite"),
                            "CREATE TABLE notes(id TEXT PRIMARY KEY, body TEXT, updatedAt TEXT);"
                            "CREATE TABLE cache_log(n INTEGER);");
        write_pipeline("A", "");
        write_pipeline("B", "");
    }
    fs::path pipeline(const std::string& id) const { return dir / (id + ".yaml"); }
    void write_pipeline(const std::string& id, const std::string& hooks_yaml) const {
        write_file(pipeline(id), "version: 1\nclient_id: " + id + "\ndatabase: " + id +
                                     ".sqlite\ntransport:\n  plugin: fs\n  path: nas\n" + hooks_yaml);
    }
    ProcessResult nas_sync(const std::string& id, std::vector<std::string> args) const {
        args.insert(args.begin(), {"--config", pipeline(id).string()});
        return run_nas_sync(args);
    }
    void write(const std::string& id, const std::string& sql) const {
        SQLite::Database((dir / (id + ".sqlite")).string(), SQLite::OPEN_READWRITE).exec(sql);
    }
    std::int64_t count(const std::string& id, const std::string& sql) const {
        return SQLite::Database((dir / (id + ".sqlite")).string(), SQLite::OPEN_READONLY).execAndGet(sql).getInt64();
    }
    // B syncs with --json; the result, after checking it exited 0.
    json sync_b() const {
        const auto r = nas_sync("B", {"sync", "--json"});
        REQUIRE_MESSAGE(r.status == 0, r.err);
        return json::parse(r.out);
    }
};

// A YAML flow list of single-quoted words.
std::string yaml_list(const std::vector<std::string>& words) {
    std::string out = "[";
    for (const auto& w : words) {
        if (out.size() > 1) out += ", ";
        std::string quoted = "'";
        for (char c : w) quoted += c == '\'' ? std::string("''") : std::string(1, c);
        out += quoted + "'";
    }
    return out + "]";
}

std::string exec_hook(const std::string& script, const std::string& extra = "") {
    return "  - plugin: exec\n    command: " + yaml_list({"/bin/sh", "-c", script}) + "\n" + extra;
}

bool has_warning(const json& result, const std::string& part) {
    for (const auto& w : result["warnings"])
        if (w.get<std::string>().find(part) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("an exec hook reads the sync's result as JSON on its standard input, which sync --json also prints") {
    HookSite site;
    const auto out = site.dir / "result.json";
    site.write_pipeline("B", "hooks:\n" + exec_hook("cat > '" + out.string() + "'; echo \"$NAS_SYNC_CLIENT_ID "
                                                    "$NAS_SYNC_EVENT\" > '" + out.string() + ".env'; echo noise"));
    site.write("A", "INSERT INTO notes VALUES('n1','one','2026-01-01T00:00:00Z'),('n2','two','2026-01-01T00:00:00Z')");
    REQUIRE(site.nas_sync("A", {"sync"}).status == 0);
    const auto result = site.sync_b();  // parses: the command's "noise" did not reach our standard output
    CHECK(result["warnings"].empty());
    const auto received = json::parse(read_file(out));
    CHECK(received["inserted"] == 2);
    CHECK(received["clients_synced"] == 1);
    CHECK(received == result);  // the very object sync --json printed
    CHECK(read_file(fs::path(out.string() + ".env")) == "B complete\n");
}

TEST_CASE("a failing exec command is a warning naming it, its status and its last line of stderr; the sync exits 0") {
    HookSite site;
    site.write_pipeline("B", "hooks:\n" + exec_hook("echo first >&2; echo 'it broke' >&2; exit 3") +
                                 "  - plugin: exec\n    command: [/no/such/program, --flag]\n");
    const auto result = site.sync_b();
    CHECK(has_warning(result, "hook 'exec' (hooks[0]) on complete: command '/bin/sh -c"));
    CHECK(has_warning(result, "exited with status 3; its last line of standard error: it broke"));
    CHECK(has_warning(result, "hook 'exec' (hooks[1]) on complete: command '/no/such/program --flag': cannot start "
                              "'/no/such/program': No such file or directory"));
    // The text output says it too.
    const auto r = site.nas_sync("B", {"sync"});
    CHECK(r.status == 0);
    CHECK(r.out.find("warning: hook 'exec' (hooks[0])") != std::string::npos);
}

TEST_CASE("an exec command past its timeout is killed with its process group; the sync returns with a warning") {
    HookSite site;
    const auto pid_file = site.dir / "hook.pid";
    site.write_pipeline("B", "hooks:\n" + exec_hook("echo $$ > '" + pid_file.string() + "'; exec sleep 30",
                                                    "    timeout: 1s\n"));
    const auto result = site.sync_b();
    CHECK(has_warning(result, "did not finish within its timeout of 1000 ms; its process group was killed"));
    const auto pid = std::stoi(read_file(pid_file));
    REQUIRE(pid > 1);
    errno = 0;
    CHECK(::kill(pid, 0) == -1);
    CHECK(errno == ESRCH);
}

TEST_CASE("a hook with on: [conflict] runs once per conflict after the merge, and not on complete") {
    HookSite site;
    const auto log = site.dir / "conflicts.jsonl";
    site.write_pipeline("B", "hooks:\n" + exec_hook("cat >> '" + log.string() + "'", "    on: [conflict]\n"));
    site.write("A", "INSERT INTO notes VALUES('n1','one','2026-01-01T00:00:00Z'),('n2','two','2026-01-01T00:00:00Z')");
    REQUIRE(site.nas_sync("A", {"sync"}).status == 0);
    site.sync_b();
    CHECK_FALSE(fs::exists(log));  // a sync without conflicts: the hook did not run
    site.write("A", "UPDATE notes SET body='A', updatedAt='2026-01-02T00:00:00Z'");
    site.write("B", "UPDATE notes SET body='B', updatedAt='2026-01-03T00:00:00Z'");
    REQUIRE(site.nas_sync("A", {"sync"}).status == 0);
    const auto result = site.sync_b();
    CHECK(result["conflicts_resolved"] == 2);
    REQUIRE(fs::exists(log));
    std::istringstream lines(read_file(log));
    std::vector<json> received;
    for (std::string line; std::getline(lines, line);) received.push_back(json::parse(line));
    REQUIRE(received.size() == 2);
    CHECK(received[0] == result["conflicts"][0]);
    CHECK(received[1] == result["conflicts"][1]);
}

TEST_CASE("a sync of 150 conflicts lists the first 100 in sync --json and in a complete hook's JSON, counts 150, logs 150") {
    HookSite site;
    const auto out = site.dir / "result.json";
    site.write_pipeline("B", "hooks:\n" + exec_hook("cat > '" + out.string() + "'"));
    site.write("A", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150) "
                    "INSERT INTO notes SELECT printf('n%03d', i), 'one', '2026-01-01T00:00:00Z' FROM n");
    REQUIRE(site.nas_sync("A", {"sync"}).status == 0);
    REQUIRE(site.sync_b()["inserted"] == 150);
    site.write("A", "UPDATE notes SET body='A', updatedAt='2026-01-02T00:00:00Z'");
    site.write("B", "UPDATE notes SET body='B', updatedAt='2026-01-03T00:00:00Z'");
    REQUIRE(site.nas_sync("A", {"sync"}).status == 0);
    const auto result = site.sync_b();
    CHECK(result["conflicts_resolved"] == 150);
    REQUIRE(result["conflicts"].size() == 100);
    std::set<std::string> keys;
    for (const auto& c : result["conflicts"]) keys.insert(c["key"].get<std::string>());
    CHECK(keys.size() == 100);  // 100 conflicts, not one listed 100 times
    const auto received = json::parse(read_file(out));
    CHECK(received["conflicts_resolved"] == 150);
    CHECK(received["conflicts"].size() == 100);
    CHECK(received == result);
    // The conflict log keeps every one of them.
    const auto shown = site.nas_sync("B", {"conflicts", "--json"});
    REQUIRE_MESSAGE(shown.status == 0, shown.err);
    const auto log = json::parse(shown.out);
    CHECK(log["count"] == 150);
    CHECK(log["conflicts"].size() == 150);
}

TEST_CASE("a failed sync raises error, not start; an error hook's own failure is told with the sync's error") {
    HookSite site;
    const auto got = site.dir / "error.json";
    site.write_pipeline("B", "hooks:\n" + exec_hook("cat > '" + got.string() + "'", "    on: [start, error]\n") +
                                 exec_hook("echo 'cannot page' >&2; exit 1", "    on: [error]\n"));
    std::optional<nas_sync::SyncLock> running;
    running.emplace(site.dir / "B.sqlite", false);  // as a sync in another process holds it
    const auto r = site.nas_sync("B", {"sync", "--json"});
    CHECK(r.status == 1);
    const auto received = json::parse(read_file(got));  // once: the start hook did not run
    CHECK(received["error"].get<std::string>().find("another sync of database") == 0);
    const auto error = json::parse(r.out)["error"].get<std::string>();
    CHECK(error.find("; also hook 'exec' (hooks[1]) on error: command '/bin/sh -c") != std::string::npos);
    CHECK(error.find("exited with status 1; its last line of standard error: cannot page") != std::string::npos);
    running.reset();
    CHECK(site.nas_sync("B", {"sync"}).status == 0);
    CHECK(json::parse(read_file(got)) == json::object());  // the start hook's input: {}
}

TEST_CASE("embedded: the SyncClient callbacks still run beside the hooks, on_complete with the hooks' warnings") {
    HookSite site;
    const auto started = site.dir / "started";
    site.write_pipeline("B", "hooks:\n" + exec_hook("cat > '" + started.string() + "'", "    on: [start]\n") +
                                 exec_hook("exit 5"));
    site.write("A", "INSERT INTO notes VALUES('n1','one','2026-01-01T00:00:00Z')");
    REQUIRE(site.nas_sync("A", {"sync"}).status == 0);
    nas_sync::SyncClient client(nas_sync::load_pipeline_file(site.pipeline("B")));
    int starts = 0;
    std::vector<std::string> completed_warnings;
    client.on_start([&] { ++starts; });
    client.on_complete([&](const nas_sync::SyncResult& r) { completed_warnings = r.warnings; });
    const auto result = client.sync_now();
    CHECK(result.inserted == 1);
    CHECK(starts == 1);
    CHECK(fs::exists(started));
    REQUIRE(completed_warnings.size() == 1);
    CHECK(completed_warnings[0].find("hook 'exec' (hooks[1]) on complete: command '/bin/sh -c 'exit 5'' exited with "
                                     "status 5") == 0);
    CHECK(result.warnings == completed_warnings);
}

TEST_CASE("a sql hook runs its statements after a sync that changed rows, not after an idle one") {
    HookSite site;
    site.write_pipeline("B", "hooks:\n  - plugin: sql\n    statements: ['INSERT INTO cache_log SELECT count(*) FROM notes']\n");
    site.write("A", "INSERT INTO notes VALUES('n1','one','2026-01-01T00:00:00Z'),('n2','two','2026-01-01T00:00:00Z')");
    REQUIRE(site.nas_sync("A", {"sync"}).status == 0);
    const auto first = site.sync_b();
    CHECK(first["inserted"] == 2);
    CHECK(site.count("B", "SELECT count(*) FROM cache_log") == 1);
    CHECK(site.count("B", "SELECT n FROM cache_log") == 2);
    const auto idle = site.sync_b();
    CHECK(idle["inserted"] == 0);
    CHECK(site.count("B", "SELECT count(*) FROM cache_log") == 1);
}

TEST_CASE("a failing sql statement is a warning naming it, and the statements before it are rolled back") {
    HookSite site;
    site.write_pipeline("B", "hooks:\n  - plugin: sql\n    statements:\n      - INSERT INTO cache_log VALUES (1)\n"
                             "      - INSERT INTO no_such_table VALUES (1)\n");
    site.write("A", "INSERT INTO notes VALUES('n1','one','2026-01-01T00:00:00Z')");
    REQUIRE(site.nas_sync("A", {"sync"}).status == 0);
    const auto result = site.sync_b();
    CHECK(result["inserted"] == 1);
    CHECK(has_warning(result, "hook 'sql' (hooks[0]) on complete: statement 1 (INSERT INTO no_such_table VALUES (1)) "
                              "failed: no such table: no_such_table; the hook's transaction was rolled back"));
    CHECK(site.count("B", "SELECT count(*) FROM cache_log") == 0);
    CHECK(site.count("B", "SELECT count(*) FROM notes") == 1);  // the sync's own changes stay
}

TEST_CASE("check lists the hooks with their events") {
    HookSite site;
    site.write_pipeline("B", "hooks:\n" + exec_hook("true", "    on: [start, conflict]\n") +
                                 "  - plugin: sql\n    statements: ['SELECT 1']\n");
    const auto r = site.nas_sync("B", {"check", "--json"});
    REQUIRE_MESSAGE(r.status == 0, r.err);
    const auto plan = json::parse(r.out);
    CHECK(plan["hooks"] == json::parse(R"j([{"plugin": "exec", "key": "hooks[0]", "on": ["start", "conflict"]},
                                           {"plugin": "sql", "key": "hooks[1]", "on": ["complete", "error"]}])j"));
    const auto text = site.nas_sync("B", {"check"});
    CHECK(text.out.find("  exec                     on start, conflict (hooks[0])\n") != std::string::npos);
}

TEST_CASE("plugins --json lists the hook plugins with their option tables") {
    const auto r = run_nas_sync({"plugins", "--json"});
    REQUIRE(r.status == 0);
    std::map<std::string, json> hooks;
    for (const auto& p : json::parse(r.out))
        if (p["kind"] == "hook") hooks[p["name"].get<std::string>()] = p["options"];
    REQUIRE(hooks.size() == 2);
    CHECK(hooks["exec"] == json::parse(R"j([
        {"name": "command", "type": "list of strings", "required": true, "default": "required",
         "description": "The program and its arguments, run without a shell; the event's JSON on its standard input"},
        {"name": "timeout", "type": "duration", "required": false, "default": "30s",
         "description": "Longest a run may take; then its process group is killed and the hook fails (a warning)"}])j"));
    REQUIRE(hooks["sql"].size() == 1);
    CHECK(hooks["sql"][0]["name"] == "statements");
    CHECK(hooks["sql"][0]["required"] == true);
}

TEST_CASE("bad hook sections exit 2 naming FILE:LINE:COL and the key") {
    HookSite site;
    const std::string file = site.pipeline("B").string();
    site.write_pipeline("B", "hooks:\n" + exec_hook("true", "    on: [complete, finish]\n"));
    auto r = site.nas_sync("B", {"check"});
    CHECK(r.status == 2);
    CHECK(r.err.find(file + ":10:") != std::string::npos);
    CHECK(r.err.find("key 'hooks[0].on': 'finish' is not an event; valid: start, complete, error, conflict") !=
          std::string::npos);

    site.write_pipeline("B", "hooks:\n  - command: [/bin/true]\n");
    r = site.nas_sync("B", {"sync"});
    CHECK(r.status == 2);
    CHECK(r.err.find(file + ":8:") != std::string::npos);
    CHECK(r.err.find("key 'hooks[0]' has no 'plugin' key") != std::string::npos);

    site.write_pipeline("B", "hooks:\n  - plugin: mail\n");
    r = site.nas_sync("B", {"check"});
    CHECK(r.status == 2);
    CHECK(r.err.find("'hooks[0]' names no hook plugin; hook plugins found: exec, sql") != std::string::npos);

    site.write_pipeline("B", "hooks:\n  - plugin: exec\n    timeout: 5s\n");
    r = site.nas_sync("B", {"check"});
    CHECK(r.status == 2);
    CHECK(r.err.find(file + ":8:") != std::string::npos);
    CHECK(r.err.find("needs option 'command'") != std::string::npos);

    site.write_pipeline("B", "hooks:\n  - plugin: exec\n    command: [/bin/true]\n    timeout: soon\n");
    r = site.nas_sync("B", {"check"});
    CHECK(r.status == 2);
    CHECK(r.err.find(file + ":10:") != std::string::npos);
    CHECK(r.err.find("option 'timeout': 'soon' is not a duration") != std::string::npos);
}
