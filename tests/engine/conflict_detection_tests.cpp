// Which decisions are conflicts: edits of one record made apart from each
// other (neither client had the other's state), not a peer's plain update of
// a record it had from us. Told by each version's lineage (its writer, and
// the other client's state it was made on), through both exchanges, with
// copies written before lineage was kept, and in databases set up before it.
#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>

#include "fleet.hpp"

using namespace nas_sync;
using namespace nas_sync::test;
namespace fs = std::filesystem;

namespace {

std::int64_t logged_conflicts(const Fleet& fleet, const std::string& id) {
    return count(fleet.database(id), "SELECT count(*) FROM _nas_sync_conflicts");
}

// Rows written on A, then A and B synced: both hold A's states.
void both_hold(Fleet& fleet, const std::string& values) {
    fleet.write("A", "INSERT INTO users VALUES" + values);
    fleet.sync("A");
    fleet.sync("B");
}

const char* const ann_and_bob = "('u1','Ann','a@x','2026-01-01T00:00:00Z'),('u2','Bob','b@x','2026-01-01T00:00:00Z')";
const char* const ann = "('u1','Ann','a@x','2026-01-01T00:00:00Z')";

ClientOptions with_exchange(ExchangeLayout exchange) {
    ClientOptions options;
    options.exchange = exchange;
    return options;
}

}  // namespace

TEST_CASE("a peer's updates of records it had from us are not conflicts, however many it made in a row") {
    for (const auto exchange : {ExchangeLayout::snapshot, ExchangeLayout::journal}) {
        CAPTURE(static_cast<int>(exchange));
        Fleet fleet({"A", "B"}, users_schema, with_exchange(exchange));
        both_hold(fleet, ann_and_bob);
        // B edits A's rows, u2 twice with a sync between: A reads only the
        // newest state of u2 from a snapshot, made on B's own earlier edit.
        fleet.write("B", "UPDATE users SET name='Ann (B)', updatedAt='2026-01-02T00:00:00Z'");
        fleet.sync("B");
        fleet.write("B", "UPDATE users SET name='Bob (B again)', updatedAt='2026-01-03T00:00:00Z' WHERE id='u2'");
        fleet.sync("B");
        std::vector<ConflictEvent> seen;
        fleet.client("A").on_conflict([&](const ConflictEvent& e) { seen.push_back(e); });
        const SyncResult result = fleet.sync("A");
        CHECK(result.updated == 2);
        CHECK(result.conflicts_resolved == 0);
        CHECK(result.conflicts.empty());
        CHECK(seen.empty());
        CHECK(logged_conflicts(fleet, "A") == 0);
        // And back: A edits what it now has from B; B sees no conflict either.
        fleet.write("A", "UPDATE users SET name='Ann (A)', updatedAt='2026-01-04T00:00:00Z' WHERE id='u1'");
        fleet.sync("A");
        const SyncResult back = fleet.sync("B");
        CHECK(back.updated == 1);
        CHECK(back.conflicts_resolved == 0);
        CHECK(logged_conflicts(fleet, "B") == 0);
        CHECK(fleet.dump("A") == fleet.dump("B"));
    }
}

TEST_CASE("edits of one record made apart are a conflict for each client that meets the other's edit") {
    for (const auto exchange : {ExchangeLayout::snapshot, ExchangeLayout::journal}) {
        CAPTURE(static_cast<int>(exchange));
        Fleet fleet({"A", "B"}, users_schema, with_exchange(exchange));
        both_hold(fleet, ann_and_bob);
        // u1: the newer edit is shared first, and A takes it before publishing
        // its own, so B never meets A's edit. u2: the older edit is shared
        // first; A keeps its newer one, and B meets it next.
        fleet.write("A", "UPDATE users SET name='from A', updatedAt='2026-01-02T00:00:00Z' WHERE id='u1'");
        fleet.write("B", "UPDATE users SET name='from B', updatedAt='2026-01-03T00:00:00Z' WHERE id='u1'");
        fleet.write("A", "UPDATE users SET name='from A', updatedAt='2026-01-03T00:00:00Z' WHERE id='u2'");
        fleet.write("B", "UPDATE users SET name='from B', updatedAt='2026-01-02T00:00:00Z' WHERE id='u2'");
        fleet.sync("B");
        const SyncResult a = fleet.sync("A");
        REQUIRE(a.conflicts.size() == 2);
        for (const auto& c : a.conflicts) CHECK(c.resolution == (c.key == "u1" ? "take_remote" : "keep_local"));
        const SyncResult b = fleet.sync("B");
        REQUIRE(b.conflicts.size() == 1);
        CHECK(b.conflicts[0].key == "u2");
        CHECK(b.conflicts[0].resolution == "take_remote");
        CHECK(logged_conflicts(fleet, "A") == 2);
        CHECK(logged_conflicts(fleet, "B") == 1);
        // Both created the same key apart: a conflict too.
        fleet.write("A", "INSERT INTO users VALUES('u3','A''s','a@x','2026-01-05T00:00:00Z')");
        fleet.write("B", "INSERT INTO users VALUES('u3','B''s','b@x','2026-01-04T00:00:00Z')");
        fleet.sync("A");
        CHECK(fleet.sync("B").conflicts_resolved == 1);
        CHECK(fleet.dump("A") == fleet.dump("B"));
    }
}

TEST_CASE("a client that only relays a record is not in its conflicts; the two writers are") {
    Fleet fleet({"A", "B", "C"}, users_schema);
    fleet.write("A", std::string("INSERT INTO users VALUES") + ann);
    fleet.sync_all(1);
    fleet.write("A", "UPDATE users SET name='from A', updatedAt='2026-01-02T00:00:00Z'");
    fleet.write("B", "UPDATE users SET name='from B', updatedAt='2026-01-03T00:00:00Z'");
    fleet.sync_all(2);
    CHECK(logged_conflicts(fleet, "A") == 1);
    CHECK(logged_conflicts(fleet, "B") == 1);
    CHECK(logged_conflicts(fleet, "C") == 0);
    CHECK(fleet.dump("A") == fleet.dump("C"));
}

TEST_CASE("a copy written before versions kept their lineage is read; its edits of our records count as conflicts") {
    Fleet fleet({"A", "B"}, users_schema);
    both_hold(fleet, ann);
    fleet.write("B", "UPDATE users SET name='from B', updatedAt='2026-01-02T00:00:00Z'");
    fleet.sync("B");
    {
        // As an earlier nas-sync wrote it: no origin and base columns.
        SQLite::Database copy((fleet.share() / "client-B.sqlite").string(), SQLite::OPEN_READWRITE);
        copy.exec("ALTER TABLE _nas_sync_versions DROP COLUMN origin; ALTER TABLE _nas_sync_versions DROP COLUMN base");
    }
    const SyncResult result = fleet.sync("A");
    CHECK(result.updated == 1);
    CHECK(result.warnings.empty());
    // Nothing says B had A's state, so the update of A's own row is logged.
    CHECK(result.conflicts_resolved == 1);
    CHECK(fleet.dump("A") == fleet.dump("B"));
}

TEST_CASE("a database set up before lineage was kept gains its columns, and its records' writers are unknown") {
    Fleet fleet({"A", "B"}, users_schema);
    both_hold(fleet, ann);
    fleet.close("A");
    {
        SQLite::Database db(fleet.database("A").string(), SQLite::OPEN_READWRITE);
        db.exec("ALTER TABLE _nas_sync_versions DROP COLUMN origin; ALTER TABLE _nas_sync_versions DROP COLUMN base");
    }
    fleet.write("B", "UPDATE users SET name='from B', updatedAt='2026-01-02T00:00:00Z'");
    fleet.sync("B");
    const SyncResult result = fleet.sync("A");
    CHECK(result.updated == 1);
    CHECK(result.conflicts_resolved == 0);  // A's row, recorded before: its writer is not known to be A
    CHECK(count(fleet.database("A"), "SELECT count(*) FROM pragma_table_info('_nas_sync_versions') "
                                     "WHERE name IN ('origin', 'base')") == 2);
    // What A edits from now on is known to be A's.
    fleet.write("A", "UPDATE users SET name='from A', updatedAt='2026-01-03T00:00:00Z'");
    fleet.write("B", "UPDATE users SET name='B again', updatedAt='2026-01-04T00:00:00Z'");
    fleet.sync("B");
    CHECK(fleet.sync("A").conflicts_resolved == 1);
}

TEST_CASE("rows every client had before it first synced (one database copied to each) are a common base") {
    Fleet fleet({"A", "B"}, users_schema);
    for (const char* id : {"A", "B"})  // before either syncs: the rows are recorded as they were
        fleet.write(id, std::string("INSERT INTO users VALUES") + ann);
    fleet.sync("A");
    fleet.sync("B");
    fleet.write("A", "UPDATE users SET name='from A', updatedAt='2026-01-02T00:00:00Z'");
    fleet.sync("A");
    const SyncResult b = fleet.sync("B");
    CHECK(b.updated == 1);
    CHECK(b.conflicts_resolved == 0);
    // Both edit it apart: a conflict.
    fleet.write("A", "UPDATE users SET name='A again', updatedAt='2026-01-03T00:00:00Z'");
    fleet.write("B", "UPDATE users SET name='B too', updatedAt='2026-01-04T00:00:00Z'");
    fleet.sync("B");
    CHECK(fleet.sync("A").conflicts_resolved == 1);
}

TEST_CASE("one key created apart on two clients before either synced is a conflict") {
    Fleet fleet({"A", "B"}, users_schema);
    fleet.write("A", std::string("INSERT INTO users VALUES") + ann);
    fleet.write("B", "INSERT INTO users VALUES('u1','Ann B','b@x','2026-01-02T00:00:00Z')");
    fleet.sync("A");
    const SyncResult b = fleet.sync("B");
    REQUIRE(b.conflicts.size() == 1);
    CHECK(b.conflicts[0].resolution == "keep_local");
}
