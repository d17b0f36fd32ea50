// Issue 23: a sync in a large snapshot fleet costs what changed. A reader does
// not fetch a copy that changed only by what its owner merged (the sequence
// note beside it says so), and a client puts such a copy at a bounded rate
// (merged_publish_every) while its own changes go out at once.
#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>

#include "engine/snapshot/sequence_note.hpp"
#include "fleet.hpp"

using namespace nas_sync;
using namespace nas_sync::test;
namespace fs = std::filesystem;

namespace {

// users without the email column of the shared users_schema.
const char* fleet_schema = "CREATE TABLE users(id TEXT PRIMARY KEY, name TEXT, updatedAt TEXT);";

std::string insert(const std::string& id, int second) {
    return "INSERT INTO users VALUES('" + id + "','" + id + "','2026-01-01T00:00:" + (second < 10 ? "0" : "") +
           std::to_string(second) + "Z')";
}

std::uint64_t size_on_share(Fleet& fleet, const std::string& name) { return fs::file_size(fleet.share() / name); }

ClientOptions publishing_merges_at_once() {
    ClientOptions options;
    options.merged_publish_every = std::chrono::milliseconds(0);
    return options;
}

}  // namespace

TEST_CASE("a copy that changed only by what its owner merged is not fetched; the changed peer's copy is") {
    Fleet fleet({"A", "B", "C"}, fleet_schema, publishing_merges_at_once());
    fleet.sync_all(2);
    fleet.write("A", insert("a1", 1));
    fleet.sync("A");
    const auto b = fleet.sync("B");
    REQUIRE(b.inserted == 1);
    REQUIRE(b.bytes_published > 0);  // B put its copy again: it holds a1 now
    const auto c = fleet.sync("C");
    CHECK(c.inserted == 1);
    CHECK(c.warnings.empty());
    CHECK(c.clients_synced == 2);
    // Only A's copy was fetched, not B's.
    CHECK(c.bytes_fetched == size_on_share(fleet, "client-A.sqlite"));
    // And B's is not fetched later either: it is recorded as read.
    CHECK(fleet.sync("C").bytes_fetched == 0);

    // B's own change makes its copy worth fetching again.
    fleet.write("B", insert("b1", 2));
    fleet.sync("B");
    const auto again = fleet.sync("C");
    CHECK(again.inserted == 1);
    CHECK(again.bytes_fetched == size_on_share(fleet, "client-B.sqlite"));
    fleet.sync_all(1);
    CHECK(fleet.dump("C") == fleet.dump("A"));
    CHECK(fleet.dump("B") == fleet.dump("A"));
}

TEST_CASE("own changes are put at once; a copy changed only by merged states waits for merged_publish_every") {
    Fleet fleet({"A", "B", "C"}, fleet_schema);  // the default: 10 minutes
    fleet.sync_all(2);
    const auto before = fs::last_write_time(fleet.share() / "client-B.sqlite");
    fleet.write("A", insert("a1", 1));
    CHECK(fleet.sync("A").bytes_published > 0);
    const auto b = fleet.sync("B");
    CHECK(b.inserted == 1);
    // Only merged: its copy is not put yet, only its digest report (for `verify`).
    CHECK(b.bytes_published == fs::file_size(fleet.share() / "nas-sync" / "digests" / "B.json"));
    CHECK(fs::last_write_time(fleet.share() / "client-B.sqlite") == before);
    CHECK(fleet.sync("C").inserted == 1);  // C reads a1 from A itself

    fleet.write("B", insert("b1", 2));
    CHECK(fleet.sync("B").bytes_published > 0);  // its own change: at once, with what it merged
    CHECK(fleet.sync("C").inserted == 1);
}

TEST_CASE("a client that leaves for good: its rows reach a new client once a peer has put its copy again") {
    SUBCASE("merged_publish_every: 0s puts the merged copy at the next sync") {
        Fleet fleet({"A", "B", "D"}, fleet_schema, publishing_merges_at_once());
        fleet.write("A", insert("a1", 1));
        fleet.sync("A");
        fleet.sync("B");
        fs::remove(fleet.share() / "client-A.sqlite");  // A is gone, its copy with it
        CHECK(fleet.sync("D").inserted == 1);
        CHECK(fleet.dump("D") == fleet.dump("B"));
    }
    SUBCASE("by default, the rows wait for the peer's next put (here: its own next change)") {
        Fleet fleet({"A", "B", "D"}, fleet_schema);
        fleet.sync("B");  // B's copy is on the share before it merges anything
        fleet.write("A", insert("a1", 1));
        fleet.sync("A");
        fleet.sync("B");
        fs::remove(fleet.share() / "client-A.sqlite");
        auto rows_in_b_copy = [&] {
            SQLite::Database copy((fleet.share() / "client-B.sqlite").string(), SQLite::OPEN_READONLY);
            return copy.execAndGet("SELECT count(*) FROM users").getInt64();
        };
        CHECK(rows_in_b_copy() == 0);  // the trade docs/configuration.md states: a1 is only in B's database
        fleet.write("B", insert("b1", 2));
        fleet.sync("B");
        CHECK(rows_in_b_copy() == 2);
        CHECK(fleet.sync("D").inserted == 2);
        CHECK(fleet.dump("D") == fleet.dump("B"));
    }
}

TEST_CASE("a missing sequence note, or one that is not one, means the copy is fetched") {
    Fleet fleet({"A", "B", "C"}, fleet_schema, publishing_merges_at_once());
    fleet.sync_all(2);
    fleet.write("A", insert("a1", 1));
    fleet.sync("A");
    fleet.sync("B");
    const fs::path note = fleet.share() / sequence_note_name("B");
    REQUIRE(fs::exists(note));
    SUBCASE("missing") {
        fs::remove(note);
        const auto c = fleet.sync("C");
        CHECK(c.warnings.empty());
        CHECK(c.bytes_fetched == size_on_share(fleet, "client-A.sqlite") + size_on_share(fleet, "client-B.sqlite"));
    }
    SUBCASE("not a note") {
        write_file(note, "{\"format\": \"nas-sync-snapshot-sequence\", \"version\": 1, \"changelog_seq\": -5}");
        const auto c = fleet.sync("C");
        REQUIRE(c.warnings.size() == 1);
        CHECK(c.warnings[0] == "peer 'B': 'client-B.sqlite.seq' is not a sequence note ('changelog_seq' is not an "
                               "integer of 0 or more); its copy is fetched");
        CHECK(c.bytes_fetched == size_on_share(fleet, "client-A.sqlite") + size_on_share(fleet, "client-B.sqlite"));
    }
    CHECK(fleet.dump("C") == fleet.dump("A"));
}

TEST_CASE("a new schema version is put at once, though nothing else changed") {
    Fleet fleet({"A", "B"}, fleet_schema);
    fleet.sync_all(2);
    fleet.close("A");
    auto config = fleet.config("A");
    config.schema_version = "v2";
    SyncClient a(config);
    CHECK(a.sync_now().bytes_published > 0);
    const auto b = fleet.sync("B");
    REQUIRE(b.skipped_remotes.size() == 1);
    CHECK(b.skipped_remotes[0].client == "A");
    CHECK(b.skipped_remotes[0].remote_schema_version == "v2");
}

TEST_CASE("sequence notes: what is read and what is refused") {
    std::string problem;
    const auto note = parse_sequence_note(format_sequence_note({42, "abc"}), problem);
    REQUIRE(note);
    CHECK(note->changelog_seq == 42);
    CHECK(note->schema_version == "abc");
    CHECK_FALSE(parse_sequence_note("not json", problem));
    CHECK(problem == "not a JSON object");
    CHECK_FALSE(parse_sequence_note(R"({"format": "other", "version": 1, "changelog_seq": 1, "schema_version": ""})", problem));
    CHECK(problem == "not a 'nas-sync-snapshot-sequence' note of version 1");
    CHECK_FALSE(parse_sequence_note(R"({"format": "nas-sync-snapshot-sequence", "version": 1, "changelog_seq": 1})", problem));
    CHECK(problem == "'schema_version' is not a string of at most 256 bytes");
    CHECK_FALSE(parse_sequence_note(std::string(2000, ' '), problem));
    CHECK(problem == "2000 bytes, more than a sequence note has");
    CHECK(sequence_note_name("x") == "client-x.sqlite.seq");
}
