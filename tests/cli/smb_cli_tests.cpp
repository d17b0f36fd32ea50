// The real nas-sync binary with the `smb` transport against a real smbd:
// two clients sync through it; smbd killed in the middle of a sync and
// restarted costs that one sync (exit 1, a clear message) and nothing else;
// a wrong password, an unreachable host or a missing share exit 1 within the
// timeout, naming the URL and never the password; a malformed URL exits 2.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <SQLiteCpp/Statement.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "samba_server.hpp"
#include "test_support.hpp"

using namespace nas_sync::test;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

const char* password_variable = "NAS_SYNC_SMB_PASSWORD";

// Two clients' databases and pipelines in a local folder, their share a folder of `server`.
struct Office {
    SambaServer& server;
    TempDir dir;
    fs::path share;

    explicit Office(SambaServer& s) : server(s), share(s.share_root() / "app-db") {
        fs::create_directory(share);
        server.hand_over(share);
        for (const char* id : {"A", "B"}) {
            create_database(dir / (std::string(id) + ".sqlite"),
                            "CREATE TABLE notes(id TEXT PRIMARY KEY, body BLOB, updatedAt TEXT);");
            write_pipeline(id, server.url(share));
        }
    }
    void write_pipeline(const std::string& id, const std::string& url, const std::string& timeout = "3s",
                        const std::string& exchange = "snapshot") {
        write_file(dir / (id + ".yaml"), "version: 1\nclient_id: " + id + "\ndatabase: " + id +
                                             ".sqlite\ntransport:\n  plugin: smb\n  url: " + url +
                                             "\n  username: " + server.username() + "\n  password: ${" +
                                             password_variable + "}\n  timeout: " + timeout +
                                             "\nexchange: " + exchange + "\n");
    }
    std::vector<std::string> args(const std::string& id, const std::string& command) const {
        return {"--config", (dir / (id + ".yaml")).string(), command};
    }
    std::map<std::string, std::string> env() const { return {{password_variable, server.password()}}; }
    ProcessResult sync(const std::string& id) const { return run_nas_sync(args(id, "sync"), {}, env()); }
    void write(const std::string& id, const std::string& sql) const {
        SQLite::Database db((dir / (id + ".sqlite")).string(), SQLite::OPEN_READWRITE);
        db.exec(sql);
    }
    int count(const std::string& id, const std::string& like) const {
        SQLite::Database db((dir / (id + ".sqlite")).string(), SQLite::OPEN_READONLY);
        SQLite::Statement s(db, "SELECT count(*) FROM notes WHERE id LIKE ?");
        s.bind(1, like);
        s.executeStep();
        return s.getColumn(0).getInt();
    }
    std::string display() const {
        return "smb://" + server.username() + "@127.0.0.1:" + std::to_string(server.port()) + "/" +
               SambaServer::share_name + "/app-db";
    }
};

// Whether a put is under way in `folder` (of `object`, when given).
bool temporary_file_in(const fs::path& folder, const std::string& object = "") {
    std::error_code ec;
    for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.ends_with(".nstmp") && name.starts_with("." + object)) return true;
    }
    return false;
}

// A port on 127.0.0.1 that accepts connections and never answers.
class SilentListener {
public:
    SilentListener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(fd_, 16) == 0);
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
        port_ = ntohs(a.sin_port);
    }
    ~SilentListener() { ::close(fd_); }
    std::uint16_t port() const { return port_; }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

}  // namespace

TEST_CASE("smb: two clients sync through smbd, with the password from the environment") {
    SambaServer server;
    for (const std::string exchange : {"snapshot", "journal"}) {
        CAPTURE(exchange);
        Office office(server);
        for (const char* id : {"A", "B"}) office.write_pipeline(id, server.url(office.share), "3s", exchange);
        office.write("A", "INSERT INTO notes VALUES('a1', 'from A', '2026-01-01T00:00:00Z')");
        office.write("B", "INSERT INTO notes VALUES('b1', 'from B', '2026-01-01T00:00:01Z')");
        for (const char* id : {"A", "B", "A"}) {
            const auto r = office.sync(id);
            REQUIRE_MESSAGE(r.status == 0, r.err);
        }
        for (const char* id : {"A", "B"}) CHECK(office.count(id, "%") == 2);
        CHECK_FALSE(fs::is_empty(office.share));
        // libsmbclient's own log lines stay out of our output: --json is one JSON object.
        const auto json_sync = run_nas_sync({"--config", (office.dir / "B.yaml").string(), "sync", "--json"}, {},
                                            office.env());
        REQUIRE_MESSAGE(json_sync.status == 0, json_sync.err);
        CHECK(nlohmann::json::parse(json_sync.out)["clients_synced"] == 1);
        CHECK(json_sync.err.empty());
        const auto check = run_nas_sync(office.args("A", "check"), {}, office.env());
        CHECK(check.out.find(office.display()) != std::string::npos);
        CHECK(check.out.find(server.password()) == std::string::npos);
        fs::remove_all(office.share);
    }
}

TEST_CASE("smb: smbd killed during a sync and restarted: that sync exits 1, the next succeeds, nothing is lost") {
    SambaServer server;
    Office office(server);
    office.write("B", "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10) "
                      "INSERT INTO notes SELECT 'b' || x, 'from B', '2026-01-01T00:00:00Z' FROM n");
    REQUIRE(office.sync("B").status == 0);
    // Big enough that publishing it takes a while: smbd is killed while it goes out.
    office.write("A", "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 20000) "
                      "INSERT INTO notes SELECT 'a' || x, randomblob(1000), '2026-01-01T00:00:00Z' FROM n");

    int input = -1;
    std::vector<std::string> argv{NAS_SYNC_BINARY_FOR_TESTS};
    for (const auto& a : office.args("A", "sync")) argv.push_back(a);
    ::setenv(password_variable, server.password().c_str(), 1);
    const pid_t sync = start_process(argv, office.dir / "sync.log", input);
    ::unsetenv(password_variable);
    ::close(input);
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (!temporary_file_in(office.share, "client-A.sqlite") && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::microseconds(500));
    const bool caught_a_put = temporary_file_in(office.share, "client-A.sqlite");
    server.kill();
    int status = 0;
    ::waitpid(sync, &status, 0);
    const std::string err = read_file(office.dir / "sync.log");
    REQUIRE_MESSAGE(caught_a_put, "the sync finished before smbd could be killed during its put: " << err);
    REQUIRE(WIFEXITED(status));
    CHECK_MESSAGE(WEXITSTATUS(status) == 1, err);
    // The put caught may be the copy's or its sequence note's (put just before it).
    CHECK_MESSAGE(err.find("cannot put 'client-A.sqlite") != std::string::npos, err);
    CHECK_MESSAGE(err.find(" on " + office.display()) != std::string::npos, err);
    CHECK(err.find(server.password()) == std::string::npos);

    server.start();
    for (const char* id : {"A", "B", "A"}) {
        const auto r = office.sync(id);
        CHECK_MESSAGE(r.status == 0, r.err);
    }
    for (const char* id : {"A", "B"}) {
        CAPTURE(id);
        CHECK(office.count(id, "a%") == 20000);
        CHECK(office.count(id, "b%") == 10);
    }
    CHECK_FALSE(temporary_file_in(office.share));  // the killed put's leftover was removed by the next put
}

TEST_CASE("smb: wrong password, unreachable host, missing share: exit 1 in the timeout, the URL named, no password") {
    SambaServer server;
    Office office(server);
    const std::string port = std::to_string(server.port());
    struct Case {
        std::string name;
        std::string url;
        std::map<std::string, std::string> env;
        std::string expected;
    };
    SilentListener silent;
    const std::string silent_port = std::to_string(silent.port());
    const std::vector<Case> cases{
        {"wrong password", server.url(office.share), {{password_variable, "Wrong-Pa55word"}},
         "access denied to " + office.display()},
        {"closed port", "smb://127.0.0.1:1/nas/app-db", office.env(),
         "cannot reach smb://" + server.username() + "@127.0.0.1:1/nas/app-db: 127.0.0.1:1: connection refused"},
        {"a host that never answers", "smb://127.0.0.1:" + silent_port + "/nas/app-db", office.env(),
         "no answer from smb://" + server.username() + "@127.0.0.1:" + silent_port + "/nas/app-db within 1s"},
        {"missing share", "smb://127.0.0.1:" + port + "/elsewhere/app-db", office.env(),
         "share 'elsewhere' does not exist on 127.0.0.1:" + port},
    };
    office.write("A", "INSERT INTO notes VALUES('a1', 'kept', '2026-01-01T00:00:00Z')");
    for (const auto& c : cases) {
        CAPTURE(c.name);
        office.write_pipeline("A", c.url, "1s");
        const auto start = Clock::now();
        const auto r = run_nas_sync(office.args("A", "sync"), {}, c.env);
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        CHECK(r.status == 1);
        CHECK_MESSAGE(r.err.find(c.expected) != std::string::npos, r.err);
        CHECK(r.err.find(server.password()) == std::string::npos);
        CHECK(r.err.find("Wrong-Pa55word") == std::string::npos);
        CHECK(seconds < 6);  // loosely: the 1 s timeout plus starting the process
    }
    CHECK(office.count("A", "%") == 1);  // the application's rows as they were
    CHECK(fs::is_empty(office.share));    // nothing published
}

TEST_CASE("smb: a malformed URL or an unset password variable exits 2, naming the option") {
    SambaServer server;
    Office office(server);
    office.write_pipeline("A", "smb://nas.office.lan");
    auto r = office.sync("A");
    CHECK(r.status == 2);
    CHECK_MESSAGE(r.err.find("A.yaml:6:3: transport plugin 'smb' (in 'transport'), option 'url': url "
                             "'smb://nas.office.lan' names no share") != std::string::npos, r.err);
    office.write_pipeline("A", server.url(office.share));
    r = run_nas_sync(office.args("A", "sync"), {}, {{password_variable, ""}});
    CHECK(r.status == 2);
    CHECK_MESSAGE(r.err.find(password_variable) != std::string::npos, r.err);
}

TEST_CASE("smb: init --share smb://... writes an smb section whose password is read from the environment") {
    SambaServer server;
    Office office(server);
    const std::string url = server.url(office.share);
    const std::vector<std::string> init{"--config", "C.yaml", "init", "--db", "A.sqlite", "--share", url, "--user",
                                        server.username(), "--client", "C"};
    // Without the variable nothing is written, and the message names it.
    auto r = run_nas_sync(init, office.dir.path());
    CHECK(r.status == 2);
    CHECK(r.err.find("NAS_SYNC_SMB_PASSWORD") != std::string::npos);
    CHECK_FALSE(fs::exists(office.dir / "C.yaml"));
    // Without --user: refused, naming it.
    auto without_user = init;
    without_user.erase(without_user.begin() + 7, without_user.begin() + 9);
    r = run_nas_sync(without_user, office.dir.path(), office.env());
    CHECK(r.status == 2);
    CHECK(r.err.find("--user") != std::string::npos);
    // A password in the URL is refused.
    auto with_password = init;
    with_password[6] = "smb://" + server.username() + ":" + server.password() + "@" + url.substr(6);
    r = run_nas_sync(with_password, office.dir.path(), office.env());
    CHECK(r.status == 2);
    CHECK(r.err.find("must not hold a user name or password") != std::string::npos);
    CHECK(r.err.find(server.password()) == std::string::npos);

    // A and B (snapshot clients) are on the share: init keeps their layout.
    REQUIRE(office.sync("A").status == 0);
    REQUIRE(office.sync("B").status == 0);
    r = run_nas_sync(init, office.dir.path(), office.env());
    REQUIRE_MESSAGE(r.status == 0, r.err);
    const std::string written = read_file(office.dir / "C.yaml");
    CHECK(written.find("plugin: smb") != std::string::npos);
    CHECK(written.find("exchange: snapshot\n# the share has clients of the snapshot layout only (A, B)") !=
          std::string::npos);
    CHECK(written.find("password: ${NAS_SYNC_SMB_PASSWORD}") != std::string::npos);
    CHECK(written.find(server.password()) == std::string::npos);
    CHECK(r.out.find(server.password()) == std::string::npos);
    for (const std::string command : {"check", "status"}) {
        const auto shown = run_nas_sync({"--config", "C.yaml", command}, office.dir.path(), office.env());
        CAPTURE(command);
        REQUIRE_MESSAGE(shown.status == 0, shown.err);
        CHECK(shown.out.find(office.display()) != std::string::npos);
        CHECK(shown.out.find(server.password()) == std::string::npos);
    }
    office.write("A", "INSERT INTO notes VALUES('c1', 'from C', '2026-01-01T00:00:00Z')");
    REQUIRE(run_nas_sync({"--config", "C.yaml", "sync"}, office.dir.path(), office.env()).status == 0);
    REQUIRE(office.sync("B").status == 0);
    CHECK(office.count("B", "c1") == 1);
}
