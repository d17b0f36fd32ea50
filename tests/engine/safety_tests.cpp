// Safety rails against everyday mistakes (an unmounted share, two computers
// with one client id, clocks that are off): each ends in a clear refusal or
// warning, with nothing lost and nothing written where it should not be.
#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>

#include <chrono>
#include <ctime>

#include "fleet.hpp"

using namespace nas_sync;
using namespace nas_sync::test;
namespace fs = std::filesystem;

TEST_CASE("the first sync's duration includes the client's setup (triggers, versions of the rows already there)") {
    Fleet fleet({"A"}, users_schema);
    {
        SQLite::Database db(fleet.database("A").string(), SQLite::OPEN_READWRITE);
        db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000) "
                "INSERT INTO users SELECT 'u' || i, 'name ' || i, 'e' || i, '2026-01-01T00:00:00Z' FROM n");
    }
    const auto started = std::chrono::steady_clock::now();
    const SyncResult first = fleet.sync("A");  // builds the client, then syncs
    const auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    CHECK(first.duration_ms >= wall.count() * 9 / 10);
    CHECK(first.duration_ms <= wall.count());
    // Later syncs report only themselves.
    const auto again = std::chrono::steady_clock::now();
    const SyncResult second = fleet.sync("A");
    CHECK(second.duration_ms <=
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - again).count());
}

namespace {

bool share_is_empty(const fs::path& share) { return fs::is_empty(share); }

std::string refusal_of(Fleet& fleet, const std::string& id) {
    try {
        fleet.sync(id);
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::refused);
        return e.what();
    }
    FAIL("the sync was not refused");
    return "";
}

}  // namespace

TEST_CASE("an unmounted share (an empty folder where it was) is refused, nothing written, until it is back or adopted") {
    for (const auto exchange : {ExchangeLayout::snapshot, ExchangeLayout::journal}) {
        CAPTURE(static_cast<int>(exchange));
        ClientOptions options;
        options.exchange = exchange;
        Fleet fleet({"A", "B"}, users_schema, options);
        fleet.write("A", "INSERT INTO users VALUES('u1','Ann','a@x','2026-01-01T00:00:00Z')");
        fleet.sync_all();
        CHECK(fs::exists(fleet.share() / "nas-sync" / "share.json"));
        // The NAS is unmounted: its mount point is an empty local folder.
        const fs::path mounted = fleet.share().string() + ".mounted";
        fs::rename(fleet.share(), mounted);
        fs::create_directory(fleet.share());
        fleet.write("A", "INSERT INTO users VALUES('u2','Bob','b@x','2026-01-01T00:00:00Z')");
        const std::string refusal = refusal_of(fleet, "A");
        CHECK(refusal.find("looks unmounted or replaced") != std::string::npos);
        CHECK(refusal.find("nas-sync adopt-share") != std::string::npos);
        CHECK(share_is_empty(fleet.share()));  // nothing written to the local disk
        // Mounted again: the sync goes on, and nothing was lost.
        fs::remove(fleet.share());
        fs::rename(mounted, fleet.share());
        fleet.sync_all();
        CHECK(fleet.dump("B")["users"].size() == 2);
    }
}

TEST_CASE("a share replaced by another one is refused; adopting it on purpose syncs with it from then on") {
    Fleet office({"A", "B"}, users_schema);
    Fleet other({"X"}, users_schema);
    office.write("A", "INSERT INTO users VALUES('u1','Ann','a@x','2026-01-01T00:00:00Z')");
    office.sync_all();
    other.sync("X");  // the other share has a marker of its own
    // A's share path now names the other share.
    fs::rename(office.share(), office.share().string() + ".old");
    fs::copy(other.share(), office.share(), fs::copy_options::recursive);
    const std::string refusal = refusal_of(office, "A");
    CHECK(refusal.find("is another share than the one client 'A' synced with") != std::string::npos);
    CHECK_FALSE(fs::exists(office.share() / "client-A.sqlite"));
    // On purpose: adopt it.
    const std::string id = office.client("A").adopt_share();
    CHECK(read_file(office.share() / "nas-sync" / "share.json").find(id) != std::string::npos);
    office.sync("A");
    CHECK(fs::exists(office.share() / "client-A.sqlite"));
}

TEST_CASE("two installations with one client id: the second refuses to publish, naming both; once renamed, every row reaches everyone") {
    for (const auto exchange : {ExchangeLayout::snapshot, ExchangeLayout::journal}) {
        CAPTURE(static_cast<int>(exchange));
        ClientOptions options;
        options.exchange = exchange;
        Fleet office({"A", "B"}, users_schema, options);
        ClientOptions same_share = options;
        same_share.transport = office.config("A").transport;
        Fleet copied({"A"}, users_schema, same_share);  // a copied pipeline: client_id A, another computer's database
        office.write("A", "INSERT INTO users VALUES('a1','from A','a@x','2026-01-01T00:00:00Z')");
        copied.write("A", "INSERT INTO users VALUES('c1','from the copy','c@x','2026-01-01T00:00:00Z')");
        office.sync("A");
        const auto before = read_file(office.share() / "nas-sync" / "share.json");
        std::string refusal;
        try {
            copied.sync("A");
        } catch (const Error& e) {
            refusal = e.what();
        }
        CHECK(refusal.find("client id 'A' is also used by another installation") != std::string::npos);
        CHECK(refusal.find(office.database("A").string()) != std::string::npos);  // the other one
        CHECK(refusal.find(copied.database("A").string()) != std::string::npos);  // this one
        CHECK(refusal.find("give one of them another client_id") != std::string::npos);
        office.sync_all();
        CHECK(office.dump("B")["users"].size() == 1);  // A's copy was not overwritten
        // The copy is renamed: both rows reach everyone.
        PipelineConfig renamed = copied.config("A");
        renamed.client_id = "C";
        SyncClient c(renamed);
        c.sync_now();
        office.sync_all();
        c.sync_now();
        for (const auto& id : {"A", "B"}) CHECK(office.dump(id)["users"].size() == 2);
        CHECK(dump_database(copied.database("A"))["users"].size() == 2);
        CHECK(read_file(office.share() / "nas-sync" / "share.json") == before);
    }
}

TEST_CASE("a cloned disk (the same database on two computers) is found once either of them has published") {
    Fleet office({"A", "B"}, users_schema);
    office.write("A", "INSERT INTO users VALUES('a1','first','a@x','2026-01-01T00:00:00Z')");
    office.sync_all();
    office.close("A");
    const fs::path clone = office.share().parent_path() / "clone.sqlite";
    fs::copy_file(office.database("A"), clone);
    PipelineConfig cloned = office.config("A");
    cloned.database = clone;
    office.write("A", "INSERT INTO users VALUES('a2','written on the original','a@x','2026-01-02T00:00:00Z')");
    office.sync("A");  // publishes with a new claim
    SyncClient twin(cloned);
    SQLite::Database(clone.string(), SQLite::OPEN_READWRITE)
        .exec("INSERT INTO users VALUES('t1','written on the clone','t@x','2026-01-02T00:00:00Z')");
    CHECK_THROWS_WITH_AS(twin.sync_now(), doctest::Contains("is also used by another installation"), Error);
    office.sync("B");
    CHECK(office.dump("B")["users"].size() == 2);  // a1, a2: the original's copy stands
}

namespace {

std::string iso_in(std::chrono::hours from_now) {
    const auto t = std::chrono::system_clock::now() + from_now;
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

}  // namespace

TEST_CASE("a peer whose changes are dated a day ahead is warned about, by the reader and in status; so is the writer") {
    for (const auto exchange : {ExchangeLayout::snapshot, ExchangeLayout::journal}) {
        CAPTURE(static_cast<int>(exchange));
        ClientOptions options;
        options.exchange = exchange;
        Fleet fleet({"A", "B"}, users_schema, options);
        fleet.sync_all();
        fleet.write("B", "INSERT INTO users VALUES('u1','from the future','f@x','" + iso_in(std::chrono::hours(24)) + "')");
        const auto b = fleet.sync("B");
        CHECK(has_warning(b.warnings, "a local change of table 'users' (key 'u1') is dated"));
        CHECK(has_warning(b.warnings, "ahead of the share's clock"));
        const auto a = fleet.sync("A");
        CHECK(has_warning(a.warnings, "peer 'B' publishes changes dated up to"));
        CHECK(has_warning(a.warnings, "h 0 min ahead of the share's clock when it published them"));  // 23 or 24 h
        CHECK(has_warning(fleet.client("A").status().warnings, "peer 'B' published changes dated"));
        // Changes dated right are not warned about, and clear the peer's record.
        fleet.write("B", "INSERT INTO users VALUES('u2','from now','n@x','" + iso_in(std::chrono::hours(0)) + "')");
        CHECK_FALSE(has_warning(fleet.sync("B").warnings, "ahead of the share's clock"));
        CHECK_FALSE(has_warning(fleet.sync("A").warnings, "ahead of the share's clock"));
        CHECK_FALSE(has_warning(fleet.client("A").status().warnings, "peer 'B'"));
    }
}

TEST_CASE("this computer's clock an hour off the share's is warned about, in the sync and in status") {
    Fleet fleet({"A"}, users_schema);
    fleet.write("A", "INSERT INTO users VALUES('u1','Ann','a@x','2026-01-01T00:00:00Z')");
    fleet.sync("A");
    // The share's clock stamped our claim an hour before our clock says we put it: ours is an hour ahead.
    std::vector<fs::path> claims;
    for (const auto& e : fs::directory_iterator(fleet.share()))
        if (e.path().filename().string().starts_with("client-A.owner-")) claims.push_back(e.path());
    REQUIRE(claims.size() == 1);
    fs::last_write_time(claims[0], fs::last_write_time(claims[0]) - std::chrono::hours(1));
    const auto r = fleet.sync("A");
    CHECK(has_warning(r.warnings, "this computer's clock is 1 h 0 min ahead of the share's"));
    CHECK(has_warning(fleet.client("A").status().warnings, "this computer's clock is 1 h 0 min ahead of the share's"));
}

TEST_CASE("a merge reports its progress after each write transaction, ending at its total") {
    for (const auto exchange : {ExchangeLayout::snapshot, ExchangeLayout::journal}) {
        CAPTURE(static_cast<int>(exchange));
        ClientOptions options;
        options.exchange = exchange;
        Fleet fleet({"A", "B"}, users_schema, options);
        fleet.write("A", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
                         "INSERT INTO users SELECT 'u' || i, 'name', 'e', '2026-01-01T00:00:00Z' FROM n");
        fleet.sync("A");
        std::vector<SyncProgress> reports;
        fleet.client("B").on_progress([&](const SyncProgress& p) { reports.push_back(p); });
        fleet.sync("B");
        REQUIRE_FALSE(reports.empty());
        CHECK(reports.back().peer == "A");
        CHECK(reports.back().total >= 5000);
        CHECK(reports.back().done == reports.back().total);
        for (std::size_t i = 1; i < reports.size(); ++i)
            if (reports[i].peer == reports[i - 1].peer) CHECK(reports[i].done >= reports[i - 1].done);
    }
}
