// Peers' journal progress read once for a whole sync: what a capture between
// two peers forgets (forget_all) must reach the peers read after it.
#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>

#include "engine/local/internal_tables.hpp"
#include "engine/local/peer_progress.hpp"

using namespace nas_sync;

TEST_CASE("journal progress read for a whole sync is the table's until every peer's is forgotten") {
    SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
    db.exec(internal_tables_sql);
    PeerProgress progress(db.getHandle());
    progress.record_journal_read("a", 4);
    progress.record_journal_read("b", 7);

    const PeerProgress::JournalReads reads(progress);
    CHECK(reads.of("a") == 4);
    CHECK(reads.of("b") == 7);
    CHECK_FALSE(reads.of("never-read").has_value());

    // A merge of "a" forgets every peer: "b", read after it, is merged whole.
    progress.forget_all();
    CHECK_FALSE(reads.of("b").has_value());
    progress.record_journal_read("b", 9);
    CHECK(reads.of("b") == 9);
}
