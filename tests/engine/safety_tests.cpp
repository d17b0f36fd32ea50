// Safety rails against everyday mistakes (an unmounted share, two computers
// with one client id, clocks that are off): each ends in a clear refusal or
// warning, with nothing lost and nothing written where it should not be.
#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>

#include <chrono>

#include "fleet.hpp"

using namespace nas_sync;
using namespace nas_sync::test;
namespace fs = std::filesystem;

namespace {

const char* users_schema = "CREATE TABLE users(id TEXT PRIMARY KEY, name TEXT, email TEXT, updatedAt TEXT);";

}  // namespace

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
