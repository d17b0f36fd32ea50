// Peers' progress read once for a whole sync: what a capture between two
// peers forgets (forget_all) must reach the peers read after it.
#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>

#include "engine/local/internal_tables.hpp"
#include "engine/local/peer_progress.hpp"

using namespace nas_sync;

namespace {

struct Progress {
    SQLite::Database db{":memory:", SQLite::OPEN_READWRITE};
    PeerProgress progress{db.getHandle()};
    Progress() { db.exec(internal_tables_sql); }
};

}  // namespace

TEST_CASE("journal progress read for a whole sync is the table's until every peer's is forgotten") {
    Progress p;
    p.progress.record_journal_read("a", 4);
    p.progress.record_journal_read("b", 7);

    const auto reads = p.progress.journal_reads_at_once();
    CHECK(reads.of("a") == 4);
    CHECK(reads.of("b") == 7);
    CHECK_FALSE(reads.of("never-read").has_value());

    // A merge of "a" forgets every peer: "b", read after it, is merged whole.
    p.progress.forget_all();
    CHECK_FALSE(reads.of("b").has_value());
    p.progress.record_journal_read("b", 9);
    CHECK(reads.of("b") == 9);
}

TEST_CASE("snapshot progress read for a whole sync is the table's until every peer's is forgotten") {
    Progress p;
    p.progress.record_snapshot_read("a", 3, 4096, 1000);
    p.progress.record_snapshot_read("b", 5, 8192, 2000);

    const auto reads = p.progress.snapshot_reads_at_once();
    CHECK(reads.of("a").merged);
    CHECK(reads.of("b").object_size == 8192);
    CHECK(reads.of("b").object_modified == 2000);
    CHECK_FALSE(reads.of("never-read").merged);
    CHECK(reads.of("never-read").object_size == -1);

    p.progress.forget_all();
    CHECK_FALSE(reads.of("b").merged);
}
