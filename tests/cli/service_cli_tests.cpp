// `run` as a service, with real processes: its log lines (text, JSON,
// levels, the journal's priority prefixes), systemd's notification protocol
// on a unix datagram socket this test binds, and the installed unit file.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <SQLiteCpp/Database.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <regex>
#include <set>

#include "host/sync_lock.hpp"
#include "running_run.hpp"
#include "test_support.hpp"

using namespace nas_sync::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct Site {
    TempDir dir;
    Site() {
        fs::create_directory(dir / "nas");
        create_database(dir / "A.sqlite", "CREATE TABLE notes(id TEXT PRIMARY KEY, body TEXT, updatedAt TEXT);");
        write_file(dir / "A.yaml",
                   "version: 1\nclient_id: A\ndatabase: A.sqlite\ntransport:\n  plugin: fs\n  path: nas\ninterval: 200ms\n");
    }
    fs::path config() const { return dir / "A.yaml"; }
};

const std::regex timestamp_first(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (error|warning|info|debug) .+)");

// The receiving end of systemd's notification protocol: a unix datagram socket.
class NotifySocket {
public:
    explicit NotifySocket(const fs::path& path) : path_(path) {
        fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        REQUIRE(path.string().size() < sizeof(address.sun_path));
        std::strcpy(address.sun_path, path.c_str());
        REQUIRE(bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
    }
    ~NotifySocket() { close(fd_); }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    // Reads datagrams until one holds `line` (a whole line of it), at most a minute.
    bool wait_for(const std::string& line) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd p{fd_, POLLIN, 0};
            if (poll(&p, 1, 50) <= 0) continue;
            char buffer[4096];
            const auto n = recv(fd_, buffer, sizeof(buffer), 0);
            if (n <= 0) continue;
            const std::string datagram(buffer, static_cast<std::size_t>(n));
            received.push_back(datagram);
            for (const auto& l : RunningRun::whole_lines(datagram + "\n"))
                if (l == line) return true;
        }
        return false;
    }
    // The datagrams that arrive within `period`.
    std::vector<std::string> read_for(std::chrono::milliseconds period) {
        std::vector<std::string> datagrams;
        const auto end = std::chrono::steady_clock::now() + period;
        while (std::chrono::steady_clock::now() < end) {
            pollfd p{fd_, POLLIN, 0};
            if (poll(&p, 1, 10) <= 0) continue;
            char buffer[4096];
            const auto n = recv(fd_, buffer, sizeof(buffer), 0);
            if (n > 0) datagrams.emplace_back(buffer, static_cast<std::size_t>(n));
        }
        return datagrams;
    }
    std::vector<std::string> received;

private:
    fs::path path_;
    int fd_ = -1;
};

}  // namespace

TEST_CASE("run logs a line per sync on stderr: text lines start with a timestamp and a level") {
    Site site;
    RunningRun run(site.config(), {});
    INFO("run's stderr: " << run.err());
    REQUIRE(run.wait_for([&] { return count_of(run.err(), " info synced with ") >= 2; }));
    CHECK(run.stop() == 0);
    const auto lines = run.err_lines();
    REQUIRE(lines.size() >= 3);
    for (const auto& line : lines) CHECK_MESSAGE(std::regex_match(line, timestamp_first), line);
    CHECK(run.out().empty());  // without --json, stdout stays empty: everything is in the log
    CHECK(lines.back().ends_with(" info stopped"));
}

TEST_CASE("run --log-format json: every line is an object with time, level and message; a sync's has its counters") {
    Site site;
    SQLite::Database((site.dir / "A.sqlite").string(), SQLite::OPEN_READWRITE)
        .exec("INSERT INTO notes VALUES('n1','hello','2026-01-01T00:00:00Z')");
    RunningRun run(site.config(), {"--log-format", "json", "--log-level", "debug"});
    INFO("run's stderr: " << run.err());
    REQUIRE(run.wait_for([&] { return count_of(run.err(), "\"message\":\"synced with") >= 2; }));
    CHECK(run.stop() == 0);
    int syncs = 0, debug = 0;
    for (const auto& line : run.err_lines()) {
        INFO(line);
        const json object = json::parse(line);  // throws, failing the test, on a line that is not JSON
        REQUIRE(object.is_object());
        CHECK(std::regex_match(object["time"].get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
        CHECK(std::set<std::string>{"error", "warning", "info", "debug"}.count(object["level"].get<std::string>()) == 1);
        CHECK(object["message"].is_string());
        if (object["level"] == "debug") ++debug;
        if (!object["message"].get<std::string>().starts_with("synced with")) continue;
        ++syncs;
        CHECK(object["level"] == "info");
        for (const char* key : {"clients_synced", "inserted", "updated", "deleted", "skipped", "conflicts_resolved",
                                "bytes_published", "bytes_fetched", "duration_ms", "had_changelog_gap"})
            CHECK_MESSAGE(object.contains(key), key);
    }
    CHECK(syncs >= 2);
    CHECK(debug >= 2);  // "sync started"
}

TEST_CASE("run --log-level warning hides the info line of a successful sync but shows a warning") {
    Site site;
    SQLite::Database((site.dir / "A.sqlite").string(), SQLite::OPEN_READWRITE)
        .exec("CREATE TABLE audit(id TEXT PRIMARY KEY, what TEXT)");  // no timestamp column: a discovery warning
    RunningRun run(site.config(), {"--log-level", "warning", "--json"});  // --json: its events count the syncs
    INFO("run's stderr: " << run.err());
    REQUIRE(run.wait_for([&] { return count_of(run.out(), "\"event\":\"complete\"") >= 3; }));
    CHECK(run.stop() == 0);
    const auto lines = run.err_lines();
    REQUIRE(lines.size() == 1);  // the warning, once; no info line (syncs, start, stop)
    CHECK(std::regex_match(lines[0], timestamp_first));
    CHECK(lines[0].find(" warning ") != std::string::npos);
    CHECK(lines[0].find("table 'audit' skipped") != std::string::npos);
}

TEST_CASE("with JOURNAL_STREAM naming its stderr, run's lines carry the journal priority and no timestamp") {
    Site site;
    {
        RunningRun run(site.config(), {"--log-level", "debug"}, {}, true);
        INFO("run's stderr: " << run.err());
        REQUIRE(run.wait_for([&] { return run.err_has("<6>synced with "); }));
        CHECK(run.stop() == 0);
        const auto lines = run.err_lines();
        for (const auto& line : lines) {
            CHECK_MESSAGE(std::regex_match(line, std::regex("<[3467]>.+")), line);
            CHECK_MESSAGE(!std::regex_search(line, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d)")), line);
        }
        CHECK(count_of(run.err(), "<7>sync started") >= 1);
    }
    {
        RunningRun run(site.config(), {"--log-format", "json"}, {}, true);
        INFO("run's stderr: " << run.err());
        REQUIRE(run.wait_for([&] { return run.err_has("<6>{"); }));
        CHECK(run.stop() == 0);
        for (const auto& line : run.err_lines()) {
            REQUIRE(line.starts_with("<6>{"));  // the journal strips the prefix: its message is the JSON
            CHECK(json::parse(line.substr(3))["level"] == "info");
        }
    }
    {
        // A JOURNAL_STREAM of another stream (stderr was redirected since systemd started us): ignored.
        RunningRun run(site.config(), {}, {{"JOURNAL_STREAM", "1:1"}});
        INFO("run's stderr: " << run.err());
        REQUIRE(run.wait_for([&] { return run.err_has(" info synced with "); }));
        CHECK(run.stop() == 0);
        for (const auto& line : run.err_lines()) CHECK_MESSAGE(std::regex_match(line, timestamp_first), line);
    }
    {
        // An error before the loop starts (a bad pipeline, exit 2) is at error priority too.
        write_file(site.dir / "A.yaml", "version: 1\n");
        RunningRun run(site.config(), {}, {}, true);
        INFO("run's stderr: " << run.err());
        REQUIRE(run.wait_for([&] { return run.err_has("\n"); }));
        CHECK(run.stop() == 2);
        CHECK(run.err().starts_with("<3>nas-sync: "));
    }
}

TEST_CASE("a failed sync of run: an error line, and with --json an event with an error key") {
    Site site;
    RunningRun run(site.config(), {"--json"});
    INFO("run's stderr: " << run.err());
    REQUIRE(run.wait_for([&] { return count_of(run.out(), "\"event\":\"complete\"") >= 1; }));
    fs::remove_all(site.dir / "nas");  // the share is gone: the next syncs fail
    REQUIRE(run.wait_for([&] { return run.err_has(" error sync failed: "); }));
    run.stop();
    bool error_event = false;
    for (const auto& line : RunningRun::whole_lines(run.out())) {
        const json event = json::parse(line);
        if (event["event"] != "error") continue;
        error_event = true;
        CHECK(event["error"].is_string());
        CHECK(!event["error"].get<std::string>().empty());
        CHECK(event["message"] == event["error"]);
    }
    CHECK(error_event);
}

TEST_CASE("run speaks systemd's notification protocol: READY=1, WATCHDOG=1 pings, STOPPING=1 after SIGTERM") {
    Site site;
    const auto socket_path = site.dir / "notify.sock";
    NotifySocket notify(socket_path);
    RunningRun run(site.config(), {}, {{"NOTIFY_SOCKET", socket_path.string()}, {"WATCHDOG_USEC", "200000"}});
    INFO("run's stderr: " << run.err());
    REQUIRE(notify.wait_for("READY=1"));
    REQUIRE(notify.wait_for("WATCHDOG=1"));
    REQUIRE(notify.wait_for("WATCHDOG=1"));  // again, every half of 200 ms
    REQUIRE(run.wait_for([&] { return run.err_has(" info synced with "); }));
    CHECK(run.stop() == 0);
    CHECK(notify.wait_for("STOPPING=1"));
    CHECK(notify.received.front().starts_with("READY=1\nSTATUS="));
    CHECK(run.err_has("; watchdog 200 ms"));
}

TEST_CASE("a sync that shows no sign of life for WATCHDOG_USEC stops the watchdog pings; they resume after it") {
    Site site;
    const auto socket_path = site.dir / "notify.sock";
    NotifySocket notify(socket_path);
    // Another sync holds the database, and `run --wait` waits for it: a sync in flight that makes no progress.
    std::optional<nas_sync::SyncLock> other;
    other.emplace(site.dir / "A.sqlite", false);
    RunningRun run(site.config(), {"--wait"}, {{"NOTIFY_SOCKET", socket_path.string()}, {"WATCHDOG_USEC", "300000"}});
    INFO("run's stderr: " << run.err());
    REQUIRE(notify.wait_for("READY=1"));
    REQUIRE(run.wait_for([&] { return run.err_has(" error the sync loop has shown no sign of life for "); }));
    notify.read_for(std::chrono::milliseconds(100));  // what was sent before it said so
    for (const auto& datagram : notify.read_for(std::chrono::milliseconds(900)))  // three watchdog timeouts
        CHECK_MESSAGE(datagram.find("WATCHDOG=1") == std::string::npos, "a ping while the sync is stuck");
    other.reset();
    REQUIRE(run.wait_for([&] { return run.err_has(" info synced with "); }));
    CHECK(notify.wait_for("WATCHDOG=1"));
    CHECK(run.stop() == 0);
}

TEST_CASE("run without WATCHDOG_USEC, or with another process's WATCHDOG_PID, sends no watchdog pings") {
    Site site;
    const auto socket_path = site.dir / "notify.sock";
    NotifySocket notify(socket_path);
    RunningRun run(site.config(), {},
                   {{"NOTIFY_SOCKET", socket_path.string()}, {"WATCHDOG_USEC", "200000"}, {"WATCHDOG_PID", "1"}});
    INFO("run's stderr: " << run.err());
    REQUIRE(notify.wait_for("READY=1"));
    REQUIRE(run.wait_for([&] { return count_of(run.err(), " info synced with ") >= 3; }));
    CHECK(run.stop() == 0);
    CHECK(notify.wait_for("STOPPING=1"));
    for (const auto& datagram : notify.received) CHECK(datagram.find("WATCHDOG=1") == std::string::npos);
}

TEST_CASE("an invalid --log-level or --log-format exits 2 naming the flag") {
    Site site;
    auto r = run_nas_sync({"--config", (site.dir / "A.yaml").string(), "run", "--log-level", "loud"});
    CHECK(r.status == 2);
    CHECK(r.err.find("--log-level") != std::string::npos);
    r = run_nas_sync({"--config", (site.dir / "A.yaml").string(), "run", "--log-format", "xml"});
    CHECK(r.status == 2);
    CHECK(r.err.find("--log-format") != std::string::npos);
    r = run_nas_sync({"--config", (site.dir / "A.yaml").string(), "--json", "run", "--log-level", "loud"});
    CHECK(r.status == 2);
    CHECK(json::parse(r.out)["error"].get<std::string>().find("--log-level") != std::string::npos);
}

TEST_CASE("cmake --install puts nas-sync@.service in lib/systemd/system, Type=notify, ExecStart the installed binary") {
    TempDir prefix;
    const auto r = run_process({NAS_SYNC_CMAKE_COMMAND, "--install", NAS_SYNC_BUILD_DIR, "--prefix", prefix.path().string()});
    REQUIRE_MESSAGE(r.status == 0, r.out << r.err);
    const auto unit = prefix / "lib/systemd/system/nas-sync@.service";
    REQUIRE(fs::exists(unit));
    const std::string text = read_file(unit);
    CHECK(text.find("\nType=notify\n") != std::string::npos);
    CHECK(text.find("\nExecStart=" + (prefix / "bin/nas-sync").string() + " --config /etc/nas-sync/%i.yaml run\n") !=
          std::string::npos);
    CHECK(text.find("\nWatchdogSec=") != std::string::npos);
    CHECK(text.find("\nStateDirectory=nas-sync\n") != std::string::npos);
    CHECK(fs::exists(prefix / "bin/nas-sync"));
    // The build tree's copy names the configured prefix.
    CHECK(read_file(NAS_SYNC_CONFIGURED_UNIT).find("\nExecStart=" NAS_SYNC_CONFIGURED_BINDIR "/nas-sync --config") !=
          std::string::npos);

    const auto analyze = run_process({"/bin/sh", "-c", "command -v systemd-analyze"});
    if (analyze.status != 0 || analyze.out.empty()) {
        MESSAGE("systemd-analyze not found: the unit file is not verified");
        return;
    }
    // An instance of the template, as `systemctl start nas-sync@office` would load it.
    fs::create_directory(prefix / "verify");
    fs::copy_file(unit, prefix / "verify/nas-sync@office.service");
    const auto verify = run_process({analyze.out.substr(0, analyze.out.find('\n')), "verify", "--man=no",
                                     (prefix / "verify/nas-sync@office.service").string()});
    CHECK_MESSAGE(verify.status == 0, verify.out << verify.err);
}
