// The real nas-sync binary with the share on a real nats-server: two clients
// sync through it; with the server down `sync` exits 1 within the timeout,
// naming the servers and never the password; once it is back, syncs succeed.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <SQLiteCpp/Database.h>

#include "fleet.hpp"
#include "nats_server.hpp"

using namespace nas_sync::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const char* password = "n0t-4-l0g-SECRET";

struct NatsSite {
    TempDir dir;
    NatsServer server{NatsServerOptions{.user = "office", .password = password}};
    std::string bucket = fresh_bucket("cli");

    NatsSite() {
        for (const char* id : {"A", "B"}) {
            create_database(dir / (std::string(id) + ".sqlite"),
                            "CREATE TABLE notes(id TEXT PRIMARY KEY, body TEXT, updatedAt TEXT);");
            write_file(dir / (std::string(id) + ".yaml"),
                       "version: 1\nclient_id: " + std::string(id) + "\ndatabase: " + id +
                           ".sqlite\n"
                           "transport:\n"
                           "  plugin: nats\n"
                           "  servers: [" + server.url() + "]\n"
                           "  bucket: " + bucket + "\n"
                           "  user: office\n"
                           "  password: ${OFFICE_NATS_PASSWORD}\n"
                           "  timeout: 2s\n");
        }
    }
    ProcessResult nas_sync(const std::string& id, std::vector<std::string> args) {
        args.insert(args.begin(), {"--config", (dir / (id + ".yaml")).string()});
        return run_nas_sync(args, {}, {{"OFFICE_NATS_PASSWORD", password}});
    }
    void write(const std::string& id, const std::string& sql) {
        SQLite::Database((dir / (id + ".sqlite")).string(), SQLite::OPEN_READWRITE).exec(sql);
    }
};

}  // namespace

TEST_CASE("nats cli: two clients sync through nats-server") {
    NatsSite site;
    site.write("A", "INSERT INTO notes VALUES('n1','from A','2026-01-01T00:00:00Z')");
    site.write("B", "INSERT INTO notes VALUES('n2','from B','2026-01-01T00:00:01Z')");
    const auto check = site.nas_sync("A", {"check"});
    CHECK_MESSAGE(check.status == 0, check.err);
    CHECK(check.out.find(site.bucket) != std::string::npos);
    CHECK(check.out.find(password) == std::string::npos);
    REQUIRE(site.nas_sync("A", {"sync"}).status == 0);
    const auto b = site.nas_sync("B", {"sync", "--json"});
    REQUIRE_MESSAGE(b.status == 0, b.err);
    CHECK(json::parse(b.out)["inserted"] == 1);
    const auto a = site.nas_sync("A", {"sync", "--json"});
    REQUIRE_MESSAGE(a.status == 0, a.err);
    CHECK(json::parse(a.out)["inserted"] == 1);
    CHECK(dump_database(site.dir / "A.sqlite") == dump_database(site.dir / "B.sqlite"));
    CHECK(dump_database(site.dir / "A.sqlite")["notes"].size() == 2);
}

TEST_CASE("nats cli: with the server down sync exits 1 within the timeout, naming the servers and no secret; "
          "the next sync after it returns succeeds") {
    NatsSite site;
    REQUIRE(site.nas_sync("A", {"sync"}).status == 0);
    REQUIRE(site.nas_sync("B", {"sync"}).status == 0);
    site.server.kill();
    site.write("A", "INSERT INTO notes VALUES('n1','written while the server is down','2026-01-01T00:00:00Z')");
    const auto started = std::chrono::steady_clock::now();
    const auto down = site.nas_sync("A", {"sync"});
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(down.status == 1);
    CHECK(took < std::chrono::seconds(10));  // loose: the timeout is 2 s
    CHECK_MESSAGE(down.err.find(site.server.url()) != std::string::npos, down.err);
    CHECK(down.err.find(password) == std::string::npos);
    CHECK(down.out.find(password) == std::string::npos);

    site.server.start();
    const auto a = site.nas_sync("A", {"sync"});
    CHECK_MESSAGE(a.status == 0, a.err);
    const auto b = site.nas_sync("B", {"sync", "--json"});
    REQUIRE_MESSAGE(b.status == 0, b.err);
    CHECK(json::parse(b.out)["inserted"] == 1);
}
