// sync, run and status as real processes: JSON shapes, exit statuses, the
// signal handling of `run`, and an application writing during syncs.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <SQLiteCpp/Statement.h>

#include <cmath>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "host/sync_lock.hpp"

#include "fleet.hpp"
#include "nats_server.hpp"
#include "running_run.hpp"

#include <httplib.h>

using namespace nas_sync::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

void write_pipeline(const fs::path& dir, const std::string& id) {
    write_file(dir / (id + ".yaml"), "version: 1\nclient_id: " + id + "\ndatabase: " + id +
                                         ".sqlite\ntransport:\n  plugin: fs\n  path: nas\ninterval: 200ms\n");
}

struct Site {
    TempDir dir;
    Site() {
        fs::create_directory(dir / "nas");
        for (const char* id : {"A", "B"}) {
            create_database(dir / (std::string(id) + ".sqlite"),
                            "CREATE TABLE notes(id TEXT PRIMARY KEY, body TEXT, updatedAt TEXT);");
            write_pipeline(dir.path(), id);
        }
    }
    fs::path config(const std::string& id) const { return dir / (id + ".yaml"); }
    ProcessResult nas_sync(const std::string& id, std::vector<std::string> args) {
        args.insert(args.begin(), {"--config", config(id).string()});
        return run_nas_sync(args);
    }
};

}  // namespace

TEST_CASE("sync --json prints one object with exactly the documented keys") {
    Site site;
    SQLite::Database(( site.dir / "A.sqlite").string(), SQLite::OPEN_READWRITE)
        .exec("INSERT INTO notes VALUES('n1','hello','2026-01-01T00:00:00Z')");
    REQUIRE(site.nas_sync("A", {"sync"}).status == 0);
    const auto r = site.nas_sync("B", {"sync", "--json"});
    REQUIRE_MESSAGE(r.status == 0, r.err);
    const auto result = json::parse(r.out);
    std::set<std::string> keys;
    for (const auto& [k, v] : result.items()) keys.insert(k);
    CHECK(keys == std::set<std::string>{"clients_synced", "inserted", "updated", "deleted", "skipped",
                                        "conflicts_resolved", "warnings", "skipped_remotes", "had_changelog_gap",
                                        "bytes_published", "bytes_fetched", "duration_ms", "conflicts"});
    CHECK(result["inserted"] == 1);
    CHECK(result["clients_synced"] == 1);
    CHECK(result["warnings"].is_array());
    CHECK(result["skipped_remotes"].is_array());

    const auto s = site.nas_sync("B", {"status", "--json"});
    REQUIRE(s.status == 0);
    const auto status = json::parse(s.out);
    REQUIRE(status["peers"].size() == 1);
    CHECK(status["peers"][0]["client"] == "A");
    CHECK(status["peers"][0]["unread_changes"] == 0);
    CHECK(status["peers"][0]["schema_mismatch"] == false);
}

TEST_CASE("a decided conflict is in sync --json and in the conflict log that conflicts shows") {
    Site site;
    auto write = [&](const std::string& id, const std::string& sql) {
        SQLite::Database((site.dir / (id + ".sqlite")).string(), SQLite::OPEN_READWRITE).exec(sql);
    };
    write("A", "INSERT INTO notes VALUES('n1','first','2026-01-01T00:00:00Z')");
    REQUIRE(site.nas_sync("A", {"sync"}).status == 0);
    REQUIRE(site.nas_sync("B", {"sync"}).status == 0);
    write("A", "UPDATE notes SET body='from A', updatedAt='2026-01-02T00:00:00Z' WHERE id='n1'");
    write("B", "UPDATE notes SET body='from B', updatedAt='2026-01-03T00:00:00Z' WHERE id='n1'");
    REQUIRE(site.nas_sync("B", {"sync"}).status == 0);
    const auto r = site.nas_sync("A", {"sync", "--json"});
    REQUIRE_MESSAGE(r.status == 0, r.err);
    const auto result = json::parse(r.out);
    CHECK(result["conflicts_resolved"] == 1);
    REQUIRE(result["conflicts"].size() == 1);
    const json expected{{"table", "notes"},
                        {"key", "n1"},
                        {"peer", "B"},
                        {"resolution", "take_remote"},
                        {"resolver", "lww"},
                        {"local", {{"time", "2026-01-02T00:00:00.000Z"}, {"deleted", false}}},
                        {"remote", {{"time", "2026-01-03T00:00:00.000Z"}, {"deleted", false}}}};
    CHECK(result["conflicts"][0] == expected);

    auto shown = site.nas_sync("A", {"conflicts", "--json"});
    REQUIRE_MESSAGE(shown.status == 0, shown.err);
    auto log = json::parse(shown.out);
    CHECK(log["count"] == 1);
    REQUIRE(log["conflicts"].size() == 1);
    auto entry = log["conflicts"][0];
    CHECK(entry["decided"].get<std::string>().size() == 24);
    entry.erase("decided");
    CHECK(entry == expected);
    CHECK(json::parse(site.nas_sync("A", {"conflicts", "--json", "--table", "NOTES"}).out)["count"] == 1);
    CHECK(json::parse(site.nas_sync("A", {"conflicts", "--json", "--table", "other"}).out)["count"] == 0);
    CHECK(json::parse(site.nas_sync("B", {"conflicts", "--json"}).out)["count"] == 0);  // B decided none
    {
        // The log stays on this computer: the copy A published has none of it.
        SQLite::Database copy((site.dir / "nas" / "client-A.sqlite").string(), SQLite::OPEN_READONLY);
        CHECK(copy.execAndGet("SELECT count(*) FROM _nas_sync_conflicts").getInt64() == 0);
        SQLite::Database own((site.dir / "A.sqlite").string(), SQLite::OPEN_READONLY);
        CHECK(own.execAndGet("SELECT count(*) FROM _nas_sync_conflicts").getInt64() == 1);
    }
    shown = site.nas_sync("A", {"conflicts"});
    CHECK(shown.out.find("1 conflict(s) decided in the last 30d\n") == 0);
    CHECK(shown.out.find("notes 'n1' with peer 'B': take_remote by lww (local 2026-01-02T00:00:00.000Z, remote "
                         "2026-01-03T00:00:00.000Z)") != std::string::npos);
    const auto bad = site.nas_sync("A", {"conflicts", "--since", "yesterday"});
    CHECK(bad.status == 2);
    CHECK(bad.err.find("--since") != std::string::npos);

    // Kept for conflict_log_retention, then removed by a sync.
    write_file(site.dir / "A.yaml", read_file(site.dir / "A.yaml") + "conflict_log_retention: 1ms\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    REQUIRE(site.nas_sync("A", {"sync"}).status == 0);
    CHECK(json::parse(site.nas_sync("A", {"conflicts", "--json"}).out)["count"] == 0);
}

TEST_CASE("--progress json: a long first contact writes a JSON line per step on stderr, up to its total") {
    Site site;
    SQLite::Database((site.dir / "A.sqlite").string(), SQLite::OPEN_READWRITE)
        .exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 60000) "
              "INSERT INTO notes SELECT 'n' || x, hex(randomblob(40)), '2026-01-01T00:00:00Z' FROM c");
    REQUIRE(site.nas_sync("A", {"sync"}).status == 0);
    const auto r = site.nas_sync("B", {"sync", "--json", "--progress", "json"});
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(json::parse(r.out)["inserted"] == 60000);  // stdout keeps its one result
    std::vector<json> lines;
    std::istringstream err(r.err);
    for (std::string line; std::getline(err, line);) lines.push_back(json::parse(line));
    REQUIRE(lines.size() >= 2);
    std::int64_t before = 0;
    for (const auto& line : lines) {
        std::set<std::string> keys;
        for (const auto& [k, v] : line.items()) keys.insert(k);
        CHECK(keys == std::set<std::string>{"peer", "done", "total", "rows_per_s", "seconds_left"});
        CHECK(line["peer"] == "A");
        CHECK(line["done"].get<std::int64_t>() > before);
        before = line["done"].get<std::int64_t>();
    }
    CHECK(lines.back()["done"] == lines.back()["total"]);  // the heartbeat row is one of them

    SQLite::Database((site.dir / "A.sqlite").string(), SQLite::OPEN_READWRITE).exec("UPDATE notes SET body = 'x'");
    REQUIRE(site.nas_sync("A", {"sync"}).status == 0);
    const auto quiet = site.nas_sync("B", {"sync", "--progress", "off"});
    CHECK(quiet.status == 0);
    CHECK(quiet.err.empty());
    const auto bad = site.nas_sync("B", {"sync", "--progress", "loud"});
    CHECK(bad.status == 2);
    CHECK(bad.err.find("--progress") != std::string::npos);
}

TEST_CASE("run --metrics serves Prometheus text at /metrics while it syncs") {
    Site site;
    SQLite::Database((site.dir / "B.sqlite").string(), SQLite::OPEN_READWRITE)
        .exec("INSERT INTO notes VALUES('n1','from B','2026-01-01T00:00:00Z')");
    REQUIRE(site.nas_sync("B", {"sync"}).status == 0);
    // C publishes with another schema version: A lists it and leaves its copy unread.
    create_database(site.dir / "C.sqlite",
                    "CREATE TABLE notes(id TEXT PRIMARY KEY, body TEXT, updatedAt TEXT, extra TEXT);");
    write_pipeline(site.dir.path(), "C");
    REQUIRE(site.nas_sync("C", {"sync"}).status == 0);
    const int port = free_port();
    RunningRun run(site.config("A"), {"--json", "--metrics", "127.0.0.1:" + std::to_string(port)});
    INFO("run's stderr: " << run.err());
    httplib::Client scraper("127.0.0.1", port);
    std::string body, content_type;
    auto scrape = [&] {
        const auto response = scraper.Get("/metrics");
        if (!response || response->status != 200) return false;
        body = response->body;
        content_type = response->get_header_value("Content-Type");
        return body.find("nas_sync_syncs_total{outcome=\"success\"} 0\n") == std::string::npos;
    };
    REQUIRE(run.wait_for(scrape));
    CHECK(content_type == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(body.find("# TYPE nas_sync_syncs_total counter\n") != std::string::npos);
    CHECK(body.find("nas_sync_syncs_total{outcome=\"failure\"} 0\n") != std::string::npos);
    CHECK(body.find("nas_sync_rows_total{kind=\"inserted\"} 1\n") != std::string::npos);  // B's row
    CHECK(body.find("nas_sync_conflicts_total 0\n") != std::string::npos);
    CHECK(body.find("# TYPE nas_sync_sync_duration_seconds histogram\n") != std::string::npos);
    CHECK(body.find("nas_sync_sync_duration_seconds_bucket{le=\"+Inf\"} ") != std::string::npos);
    CHECK(body.find("nas_sync_last_success_timestamp_seconds 0.000\n") == std::string::npos);
    CHECK(body.find("nas_sync_peers{state=\"synced\"} 1\n") != std::string::npos);
    CHECK(body.find("nas_sync_peers{state=\"skipped\"} 1\n") != std::string::npos);
    CHECK(body.find("# TYPE nas_sync_peer_unread_objects gauge\n") != std::string::npos);
    CHECK(body.find("nas_sync_peer_unread_objects{peer=\"B\"} 0\n") != std::string::npos);
    CHECK(body.find("nas_sync_peer_unread_objects{peer=\"C\"} 1\n") != std::string::npos);
    CHECK(body.find("{peer=\"A\"}") == std::string::npos);  // not its own
    // Each peer's copy's modification time, as the share (a folder here) lists it.
    for (const std::string peer : {"B", "C"}) {
        CAPTURE(peer);
        const std::string series = "nas_sync_peer_last_publish_timestamp_seconds{peer=\"" + peer + "\"} ";
        const auto at = body.find(series);
        REQUIRE(at != std::string::npos);
        struct stat st {};
        REQUIRE(::stat((site.dir / "nas" / ("client-" + peer + ".sqlite")).c_str(), &st) == 0);
        const double modified = static_cast<double>(st.st_mtim.tv_sec) + static_cast<double>(st.st_mtim.tv_nsec) / 1e9;
        CHECK(std::abs(std::stod(body.substr(at + series.size())) - modified) < 0.002);  // printed to the millisecond
    }
    CHECK(scraper.Get("/other")->status == 404);
    CHECK(run.stop() == 0);

    // Malformed: exit 2. Taken: exit 1, naming the address.
    auto r = site.nas_sync("A", {"run", "--metrics", "localhost"});
    CHECK(r.status == 2);
    CHECK(r.err.find("--metrics 'localhost': write HOST:PORT") != std::string::npos);
    RunningRun holder(site.config("B"), {"--metrics", "127.0.0.1:" + std::to_string(port)});
    REQUIRE(holder.wait_for([&] { return static_cast<bool>(scraper.Get("/metrics")); }));
    r = site.nas_sync("A", {"run", "--metrics", "127.0.0.1:" + std::to_string(port)});
    CHECK(r.status == 1);
    CHECK(r.err.find("--metrics '127.0.0.1:" + std::to_string(port) + "': cannot listen there") != std::string::npos);
}

TEST_CASE("sync exits 2 when the share folder is gone or the pipeline is bad, changing nothing") {
    Site site;
    fs::remove(site.dir / "nas");
    const auto before = read_file(site.dir / "A.sqlite");
    auto r = site.nas_sync("A", {"sync"});
    CHECK(r.status == 2);  // the share folder is part of the configuration
    CHECK(r.err.find("share folder") != std::string::npos);
    CHECK(read_file(site.dir / "A.sqlite") == before);
    write_file(site.dir / "A.yaml", "version: 1\nclient_id: A\ndatabase: A.sqlite\n");
    r = site.nas_sync("A", {"sync"});
    CHECK(r.status == 2);
    CHECK(r.err.find("missing required key 'transport'") != std::string::npos);
}

TEST_CASE("run syncs every interval, and SIGTERM finishes with one last sync and exit 0") {
    Site site;
    RunningRun run(site.config("A"), {"--json"});
    INFO("run's stderr: " << run.err());  // read if a check fails
    // The "complete" events in whole lines of run's output so far.
    auto completes = [&] {
        int n = 0;
        for (const auto& line : RunningRun::whole_lines(run.out()))
            if (json::parse(line)["event"] == "complete") ++n;
        return n;
    };
    // Two syncs by the interval, then a row and the stop.
    REQUIRE(run.wait_for([&] { return completes() >= 2; }));
    {
        // As an application would: with a busy timeout, since `run` may be in a write transaction now.
        SQLite::Database app((site.dir / "A.sqlite").string(), SQLite::OPEN_READWRITE);
        app.setBusyTimeout(5000);
        app.exec("INSERT INTO notes VALUES('late','written just before stop','2026-01-01T00:00:00Z')");
    }
    CHECK(run.stop() == 0);
    CHECK(completes() >= 3);  // the last one, after SIGTERM
    // the last sync published the row written just before the stop
    CHECK(site.nas_sync("B", {"sync"}).status == 0);
    SQLite::Database b((site.dir / "B.sqlite").string(), SQLite::OPEN_READONLY);
    CHECK(b.execAndGet("SELECT count(*) FROM notes WHERE id = 'late'").getInt() == 1);
}

TEST_CASE("the application keeps writing during syncs: no error, nothing lost") {
    Site site;
    std::atomic<bool> done{false};
    std::atomic<int> written{0};
    std::atomic<int> errors{0};
    std::thread writer([&] {
        SQLite::Database db((site.dir / "A.sqlite").string(), SQLite::OPEN_READWRITE);
        db.setBusyTimeout(5000);
        for (int i = 0; !done.load() || i < 50; ++i) {
            try {
                db.exec("INSERT INTO notes VALUES('w" + std::to_string(i) + "','x',strftime('%Y-%m-%dT%H:%M:%fZ','now'))");
                ++written;
            } catch (const std::exception&) {
                ++errors;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));  // an application, not a lock hog
        }
    });
    for (int round = 0; round < 5; ++round) {
        const auto a = site.nas_sync("A", {"sync"});
        CHECK_MESSAGE(a.status == 0, a.err);
        CHECK(site.nas_sync("B", {"sync"}).status == 0);
    }
    done = true;
    writer.join();
    CHECK(errors.load() == 0);
    CHECK(site.nas_sync("A", {"sync"}).status == 0);
    CHECK(site.nas_sync("B", {"sync"}).status == 0);
    SQLite::Database b((site.dir / "B.sqlite").string(), SQLite::OPEN_READONLY);
    CHECK(b.execAndGet("SELECT count(*) FROM notes").getInt() == written.load());
    CHECK(fs::is_empty(site.dir / "nas") == false);
    // No work folder left by these syncs (other tests running now may have live ones).
    for (const auto& entry : fs::directory_iterator(fs::temp_directory_path())) {
        const std::string name = entry.path().filename().string();
        if (!name.starts_with("nas-sync-A-")) continue;
        const pid_t pid = static_cast<pid_t>(std::stol(name.substr(11, name.find('-', 11) - 11)));
        CHECK_MESSAGE(kill(pid, 0) == 0, "left behind by a finished sync: " << name);
    }
}

TEST_CASE("run says each warning once, and again only after a sync without it") {
    Site site;
    SQLite::Database((site.dir / "A.sqlite").string(), SQLite::OPEN_READWRITE)
        .exec("CREATE TABLE audit(id TEXT PRIMARY KEY, what TEXT)");  // no timestamp column: a discovery warning
    RunningRun run(site.config("A"), {});
    INFO("run's stderr: " << run.err());
    REQUIRE(run.wait_for([&] { return count_of(run.err(), "synced with") >= 3; }));  // run logs on stderr
    CHECK(run.stop() == 0);
    CHECK(count_of(run.err(), "table 'audit' skipped") == 1);
}

TEST_CASE("one sync of a database at a time: a second one ends at once naming the first, or waits with --wait") {
    Site site;
    SQLite::Database((site.dir / "A.sqlite").string(), SQLite::OPEN_READWRITE)
        .exec("INSERT INTO notes VALUES('n1','hello','2026-01-01T00:00:00Z')");
    std::optional<nas_sync::SyncLock> running;
    running.emplace(site.dir / "A.sqlite", false);  // as a sync in another process holds it
    auto r = site.nas_sync("A", {"sync"});
    CHECK(r.status == 1);
    CHECK(r.err.find("another sync of database '" + (site.dir / "A.sqlite").string() + "' is running (pid " +
                     std::to_string(getpid())) != std::string::npos);
    CHECK(r.err.find("--wait") != std::string::npos);
    CHECK(fs::is_empty(site.dir / "nas"));  // it did nothing

    // `run` follows the same rule: its syncs fail while the other one runs, then go on.
    {
        RunningRun run(site.config("A"), {});
        REQUIRE(run.wait_for([&] { return count_of(run.err(), "another sync of database") >= 1; }));
        running.reset();
        REQUIRE(run.wait_for([&] { return count_of(run.err(), "synced with") >= 1; }));
        CHECK(run.stop() == 0);
    }

    // --wait: starts once the other ends.
    running.emplace(site.dir / "A.sqlite", false);
    fs::remove(site.dir / "nas" / "client-A.sqlite");
    const auto out = site.dir / "wait.out";
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), 1);
        dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600), 2);
        const std::string config = (site.dir / "A.yaml").string();
        execl(NAS_SYNC_BINARY_FOR_TESTS, NAS_SYNC_BINARY_FOR_TESTS, "--config", config.c_str(), "sync", "--wait",
              static_cast<char*>(nullptr));
        _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(waitpid(pid, nullptr, WNOHANG) == 0);  // still waiting
    CHECK_FALSE(fs::exists(site.dir / "nas" / "client-A.sqlite"));
    running.reset();
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(fs::exists(site.dir / "nas" / "client-A.sqlite"));
}

TEST_CASE("one run of a database at a time: a second `run` ends at once naming the first, or waits with --wait") {
    Site site;
    std::optional<nas_sync::SyncLock> running;
    running.emplace(site.dir / "A.sqlite", false, nas_sync::LockScope::run);  // as a run in another process holds it
    auto r = site.nas_sync("A", {"run"});
    CHECK(r.status == 1);
    CHECK(r.err.find("another `nas-sync run` of database '" + (site.dir / "A.sqlite").string() +
                     "' is running (pid " + std::to_string(getpid())) != std::string::npos);
    CHECK(r.err.find("--wait") != std::string::npos);
    CHECK(fs::is_empty(site.dir / "nas"));  // it did nothing

    // A one-off `sync` is not a second run: it syncs between the run's syncs.
    REQUIRE(site.nas_sync("A", {"sync"}).status == 0);

    // --wait: the second run starts once the first ends.
    fs::remove(site.dir / "nas" / "client-A.sqlite");
    RunningRun second(site.config("A"), {"--wait"});
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK_FALSE(fs::exists(site.dir / "nas" / "client-A.sqlite"));  // still waiting
    running.reset();
    REQUIRE(second.wait_for([&] { return count_of(second.err(), "synced with") >= 1; }));
    CHECK(second.stop() == 0);
}

TEST_CASE("adopt-share: a client refused for a replaced share syncs with it after adopt-share") {
    Site site;
    REQUIRE(site.nas_sync("A", {"sync"}).status == 0);
    fs::remove_all(site.dir / "nas");
    fs::create_directory(site.dir / "nas");  // an empty folder where the share was
    auto r = site.nas_sync("A", {"sync"});
    CHECK(r.status == 1);
    CHECK(r.err.find("looks unmounted or replaced") != std::string::npos);
    CHECK(fs::is_empty(site.dir / "nas"));
    r = site.nas_sync("A", {"adopt-share", "--json"});
    REQUIRE_MESSAGE(r.status == 0, r.err);
    const auto adopted = json::parse(r.out);
    CHECK(read_file(site.dir / "nas" / "nas-sync" / "share.json").find(adopted["share_id"].get<std::string>()) !=
          std::string::npos);
    CHECK(site.nas_sync("A", {"sync"}).status == 0);
    CHECK(fs::exists(site.dir / "nas" / "client-A.sqlite"));
}

TEST_CASE("a temporary folder whose path holds '%', '#' and '?' does not make peers unreadable") {
    Site site;
    SQLite::Database((site.dir / "A.sqlite").string(), SQLite::OPEN_READWRITE)
        .exec("INSERT INTO notes VALUES('n1','hello','2026-01-01T00:00:00Z')");
    REQUIRE(site.nas_sync("A", {"sync"}).status == 0);
    const fs::path odd = site.dir / "tmp 100%41 #x ?y";
    fs::create_directory(odd);
    const auto r = run_nas_sync({"--config", (site.dir / "B.yaml").string(), "sync", "--json"}, {},
                                {{"TMPDIR", odd.string()}});
    REQUIRE_MESSAGE(r.status == 0, r.err);
    const auto result = json::parse(r.out);
    CHECK(result["clients_synced"] == 1);
    CHECK(result["inserted"] == 1);
    CHECK(result["warnings"].empty());
}

TEST_CASE("SIGINT, SIGTERM or SIGHUP during a sync remove its work folder; the next sync finishes the work") {
    Site site;
    {
        SQLite::Database a((site.dir / "A.sqlite").string(), SQLite::OPEN_READWRITE);
        a.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) "
               "INSERT INTO notes SELECT 'n' || i, printf('%.200c', 'x'), '2026-01-01T00:00:00Z' FROM n");
    }
    REQUIRE(site.nas_sync("A", {"sync"}).status == 0);
    const fs::path tmp = site.dir / "tmp";
    fs::create_directory(tmp);
    auto work_folders = [&] {
        int n = 0;
        for (const auto& e : fs::directory_iterator(tmp))
            if (e.path().filename().string().starts_with("nas-sync-B-")) ++n;
        return n;
    };
    for (const int signal : {SIGINT, SIGTERM, SIGHUP}) {
        CAPTURE(signal);
        // B's first contact with A's 200,000 rows: a sync that takes a while.
        fs::remove_all(site.dir / "B.sqlite");
        fs::remove(site.dir / "B.sqlite-nas-sync.lock");
        create_database(site.dir / "B.sqlite", "CREATE TABLE notes(id TEXT PRIMARY KEY, body TEXT, updatedAt TEXT);");
        ::setenv("TMPDIR", tmp.c_str(), 1);
        int input = -1;
        const pid_t pid = start_process({NAS_SYNC_BINARY_FOR_TESTS, "--config", (site.dir / "B.yaml").string(), "sync"},
                                        site.dir / "interrupted.log", input);
        ::unsetenv("TMPDIR");
        ::close(input);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (work_folders() == 0 && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        REQUIRE(work_folders() == 1);
        kill(pid, signal);
        int status = 0;
        waitpid(pid, &status, 0);
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 128 + signal);
        CHECK(work_folders() == 0);
        CHECK(read_file(site.dir / "interrupted.log").find("interrupted") != std::string::npos);
    }
    REQUIRE(site.nas_sync("B", {"sync"}).status == 0);
    SQLite::Database b((site.dir / "B.sqlite").string(), SQLite::OPEN_READONLY);
    CHECK(b.execAndGet("SELECT count(*) FROM notes").getInt() == 200000);
}
