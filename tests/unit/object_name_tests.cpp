// The names of objects on the share, as every listing reads them: the
// journal's, the original's copies and the installations' claims.
#include <doctest/doctest.h>

#include "engine/journal/journal_layout.hpp"
#include "engine/share/share_guard.hpp"
#include "engine/snapshot/snapshot_layout.hpp"

using namespace nas_sync;

TEST_CASE("journal object names: client, kind and a 12-digit number, nothing else") {
    const auto seg = parse_journal_object_name("journal/pc-1/seg-000000000042.sqlite");
    REQUIRE(seg);
    CHECK(seg->client == "pc-1");
    CHECK(seg->kind == JournalObject::segment);
    CHECK(seg->number == 42);
    CHECK(parse_journal_object_name("journal/a.b/base-000000000001.sqlite")->kind == JournalObject::base);
    CHECK(parse_journal_object_name("journal/x/read-000000000007.txt")->number == 7);
    for (const auto kind : {JournalObject::segment, JournalObject::base, JournalObject::read}) {
        const auto name = journal_object_name("office_7", kind, max_journal_number);
        CAPTURE(name);
        const auto parsed = parse_journal_object_name(name);
        REQUIRE(parsed);
        CHECK(parsed->kind == kind);
        CHECK(parsed->number == max_journal_number);
    }
    for (const char* bad :
         {"journal/x/seg-00000000042.sqlite", "journal/x/seg-0000000000042.sqlite", "journal/x/seg-00000000004a.sqlite",
          "journal/x/seg-000000000042.sqlite.tmp", "journal/x/seg-000000000042.txt", "journal/x/read-000000000042.sqlite",
          "journal//seg-000000000042.sqlite", "journal/../seg-000000000042.sqlite", "journal/x/y/seg-000000000042.sqlite",
          "journal/x", "journal/", "client-x.sqlite", "journal/a b/seg-000000000042.sqlite",
          "journal/x/seg--00000000042.sqlite", "journal/x/base-+00000000042.sqlite"}) {
        CAPTURE(bad);
        bool out_of_range = true;
        CHECK_FALSE(parse_journal_object_name(bad, &out_of_range));
        CHECK_FALSE(out_of_range);
    }
    bool out_of_range = false;
    CHECK_FALSE(parse_journal_object_name("journal/x/seg-999999999999.sqlite", &out_of_range));
    CHECK(out_of_range);
}

TEST_CASE("snapshot object names: client-<id>.sqlite with a valid id") {
    CHECK(client_of_snapshot_object("client-front-desk.sqlite") == "front-desk");
    CHECK(client_of_snapshot_object("client-a.sqlite.sqlite") == "a.sqlite");
    CHECK(client_of_snapshot_object("client-.sqlite").empty());
    CHECK(client_of_snapshot_object("client-x.sqlite.seq").empty());
    CHECK(client_of_snapshot_object("client-x.owner-0123456789abcdef.json").empty());
    CHECK(client_of_snapshot_object("client-a b.sqlite").empty());
    CHECK(client_of_snapshot_object("client-...sqlite").empty());  // the id "..": refused
    CHECK(client_of_snapshot_object("xclient-a.sqlite").empty());
}

TEST_CASE("claim names: client-<id>.owner-<16 hex digits>.json, the token not 0") {
    const auto claim = parse_owner_object_name(owner_object_name("pc.owner-1", 0xfeedULL));
    REQUIRE(claim);
    CHECK(claim->first == "pc.owner-1");
    CHECK(claim->second == 0xfeedULL);
    CHECK(parse_owner_object_name("client-a.owner-0123456789abcdef.json")->first == "a");
    for (const char* bad : {"client-a.owner-0000000000000000.json", "client-a.owner-0123456789ABCDEF.json",
                            "client-a.owner-0123456789abcde.json", "client-.owner-0123456789abcdef.json",
                            "client-a.0123456789abcdef.json", "client-a.owner-0123456789abcdef.jsn",
                            "client-a b.owner-0123456789abcdef.json", "client-a.sqlite"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_owner_object_name(bad));
    }
}
