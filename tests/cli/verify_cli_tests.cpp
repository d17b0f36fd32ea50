// `nas-sync verify` as a real process over a real folder: clients that agree
// after quiescence, one named behind, a divergence, reports and claims
// planted by strangers, a clock that is off; and the digest reports an idle
// sync does not put again.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <SQLiteCpp/Database.h>

#include "test_support.hpp"

using namespace nas_sync::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct Fleet3 {
    TempDir dir;
    explicit Fleet3(const std::string& exchange) {
        fs::create_directory(dir / "nas");
        for (const char* id : {"A", "B", "C"}) {
            create_database(dir / (std::string(id) + ".sqlite"),
                            "CREATE TABLE notes(id TEXT PRIMARY KEY, body TEXT, updatedAt TEXT);");
            write_file(dir / (std::string(id) + ".yaml"),
                       std::string("version: 1\nclient_id: ") + id + "\ndatabase: " + id +
                           ".sqlite\ntransport:\n  plugin: fs\n  path: nas\nexchange: " + exchange + "\n");
        }
    }
    ProcessResult nas_sync(const std::string& id, std::vector<std::string> args) {
        args.insert(args.begin(), {"--config", (dir / (id + ".yaml")).string()});
        return run_nas_sync(args);
    }
    void sync(const std::string& id) {
        const auto r = nas_sync(id, {"sync"});
        REQUIRE_MESSAGE(r.status == 0, r.err);
    }
    void sync_all(int rounds = 2) {
        for (int i = 0; i < rounds; ++i)
            for (const char* id : {"A", "B", "C"}) sync(id);
    }
    void write(const std::string& id, const std::string& sql) {
        SQLite::Database db((dir / (id + ".sqlite")).string(), SQLite::OPEN_READWRITE);
        db.exec(sql);
    }
    // verify's JSON, and its exit status.
    std::pair<json, int> verify(const std::string& id = "A") {
        const auto r = nas_sync(id, {"verify", "--json"});
        INFO(r.err);
        const auto parsed = json::parse(r.out, nullptr, false);
        REQUIRE(!parsed.is_discarded());
        return {parsed, r.status};
    }
    fs::path report(const std::string& id) { return dir / "nas" / "nas-sync" / "digests" / (id + ".json"); }
};

}  // namespace

TEST_CASE("verify: clients agree after quiescence; one that has not synced since is named behind") {
    for (const std::string exchange : {"snapshot", "journal"}) {
        CAPTURE(exchange);
        Fleet3 fleet(exchange);
        fleet.write("A", "INSERT INTO notes VALUES ('n1', 'one', '2026-01-01T00:00:00Z')");
        fleet.sync_all();
        auto [all, status] = fleet.verify();
        CHECK(status == 0);
        CHECK(all["agree"] == true);
        CHECK(all["clients"].size() == 3);
        CHECK(all["differences"].empty());
        CHECK(fleet.nas_sync("B", {"verify"}).out.find("they hold the same rows") != std::string::npos);

        fleet.write("A", "UPDATE notes SET body = 'changed', updatedAt = '2026-01-02T00:00:00Z' WHERE id = 'n1'");
        fleet.sync("A");
        fleet.sync("B");  // C has not synced since
        auto [behind, behind_status] = fleet.verify();
        CHECK(behind_status == 1);
        CHECK(behind["agree"] == false);
        REQUIRE(behind["differences"].size() == 1);
        const auto& d = behind["differences"][0];
        CHECK(d["client"] == "C");
        CHECK(d["differs_from"] == json::array({"A", "B"}));
        CHECK(d["tables"] == json::array({"notes"}));
        CHECK(d["behind"] == true);
        REQUIRE(d["reasons"].size() == 1);
        CHECK(d["reasons"][0].get<std::string>().find("'C' has not read the latest of 'A'") == 0);

        fleet.sync("C");
        CHECK(fleet.verify().second == 0);
    }
}

TEST_CASE("verify: rows that differ though each client read all of the others are a divergence") {
    Fleet3 fleet("journal");
    fleet.write("A", "INSERT INTO notes VALUES ('n1', 'one', '2026-01-01T00:00:00Z')");
    fleet.sync_all();
    REQUIRE(fleet.verify().second == 0);
    // Fault injection: B holds other content than the fleet (as a bug would leave it), which its digest says.
    fleet.write("B", "UPDATE _nas_sync_digest SET digest = digest + 1 WHERE tableName = 'notes'");
    fleet.sync("B");  // reads nothing new: its report says what it holds now
    auto [v, status] = fleet.verify("C");
    CHECK(status == 1);
    REQUIRE(v["differences"].size() == 1);
    CHECK(v["differences"][0]["client"] == "B");
    CHECK(v["differences"][0]["behind"] == false);
    CHECK(v["differences"][0]["reasons"].empty());
    CHECK(fleet.nas_sync("C", {"verify"}).out.find("'B' differs from A, C in notes: DIVERGED") != std::string::npos);
}

TEST_CASE("verify: the digest follows every change, and an idle sync puts no report") {
    Fleet3 fleet("journal");
    fleet.write("A", "INSERT INTO notes VALUES ('n1', 'one', '2026-01-01T00:00:00Z'), ('n2', 'two', "
                     "'2026-01-01T00:00:00Z'), ('n3', 'three', '2026-01-01T00:00:00Z')");
    fleet.sync_all();
    fleet.write("B", "DELETE FROM notes WHERE id = 'n2'; UPDATE notes SET body = 'x', updatedAt = "
                     "'2026-01-03T00:00:00Z' WHERE id = 'n3'");
    fleet.sync_all();
    auto [v, status] = fleet.verify();
    CHECK(status == 0);
    // The digest kept as versions are written equals one computed afresh from what each client holds.
    for (const char* id : {"A", "B", "C"}) {
        SQLite::Database db((fleet.dir / (std::string(id) + ".sqlite")).string());
        const auto rows = db.execAndGet("SELECT count(*) FROM notes").getInt64();
        CHECK(db.execAndGet("SELECT rows FROM _nas_sync_digest WHERE tableName = 'notes'").getInt64() == rows);
        CHECK(rows == 2);
        std::uint64_t fresh = 0;
        SQLite::Statement live(db, "SELECT hash FROM _nas_sync_versions WHERE tableName = 'notes' AND deleted = 0");
        while (live.executeStep()) fresh ^= static_cast<std::uint64_t>(live.getColumn(0).getInt64());
        CHECK(static_cast<std::uint64_t>(db.execAndGet("SELECT digest FROM _nas_sync_digest").getInt64()) == fresh);
    }
    const auto before = read_file(fleet.report("A"));
    const auto modified = fs::last_write_time(fleet.report("A"));
    const auto idle = json::parse(fleet.nas_sync("A", {"sync", "--json"}).out);
    CHECK(idle["bytes_published"] == 0);
    CHECK(read_file(fleet.report("A")) == before);
    CHECK(fs::last_write_time(fleet.report("A")) == modified);
}

TEST_CASE("verify: reports and claims planted on the share, and a clock that is off") {
    Fleet3 fleet("snapshot");
    fleet.sync_all();
    REQUIRE(fleet.verify().second == 0);

    SUBCASE("a report that is not one is a warning, and its client is not verified") {
        write_file(fleet.report("D"), "{\"format\": 1, \"client\": 7}");
        write_file(fleet.dir / "nas" / "client-D.sqlite", "not a database");
        write_file(fleet.report("E"), std::string(2 << 20, '{'));
        auto [v, status] = fleet.verify();
        CHECK(status == 0);  // A, B and C agree; D and E are not verified
        CHECK(v["unreported"] == json::array({"D"}));
        REQUIRE(v["warnings"].size() == 2);
        CHECK(v["warnings"][0].get<std::string>().find("nas-sync/digests/D.json' \"client\" is not a string") !=
              std::string::npos);
        CHECK(v["warnings"][1].get<std::string>().find("more than a digest report can be") != std::string::npos);
    }
    SUBCASE("a report that names another client is not read") {
        auto report = json::parse(read_file(fleet.report("B")));
        write_file(fleet.report("D"), report.dump());
        const auto v = fleet.verify().first;
        CHECK(v["clients"].size() == 3);
        REQUIRE(v["warnings"].size() == 1);
        CHECK(v["warnings"][0].get<std::string>().find("says it is the report of client 'B'") != std::string::npos);
    }
    SUBCASE("two installations claiming one client id") {
        write_file(fleet.dir / "nas" / "client-B.owner-00000000000000aa.json",
                   R"({"client_id": "B", "instance": "00000000000000bb", "host": "other-pc", "database": "/x/B.sqlite"})");
        auto [v, status] = fleet.verify();
        CHECK(status == 1);
        CHECK(v["agree"] == true);
        REQUIRE(v["duplicate_client_ids"].size() == 1);
        CHECK(v["duplicate_client_ids"][0].get<std::string>().find("client id 'B' is claimed by 2 installations") == 0);
    }
    SUBCASE("a client whose clock was an hour ahead of the share's") {
        auto report = json::parse(read_file(fleet.report("C")));
        report["written_ms"] = report["written_ms"].get<std::int64_t>() + 3600 * 1000;
        const auto modified = fs::last_write_time(fleet.report("C"));
        write_file(fleet.report("C"), report.dump());
        fs::last_write_time(fleet.report("C"), modified);
        auto [v, status] = fleet.verify();
        CHECK(status == 1);
        REQUIRE(v["clocks"].size() == 1);
        CHECK(v["clocks"][0].get<std::string>().find("client 'C'") == 0);
        CHECK(v["clocks"][0].get<std::string>().find("ahead of the share's") != std::string::npos);
    }
}
