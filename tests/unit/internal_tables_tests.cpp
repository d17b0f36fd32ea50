// The internal tables a published copy keeps are one list, held here to the
// tables the engine creates: a new internal table must be put in it (or be
// said to stay local), or the copies we publish would lose it silently.
#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <set>

#include "engine/local/internal_tables.hpp"

using namespace nas_sync;

TEST_CASE("every internal table is either kept in published copies or is the local conflict log") {
    SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
    db.exec(internal_tables_sql);
    std::set<std::string> created;
    SQLite::Statement tables(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
    while (tables.executeStep()) created.insert(tables.getColumn(0).getString());
    std::set<std::string> accounted(published_internal_tables.begin(), published_internal_tables.end());
    CHECK(accounted.size() == published_internal_tables.size());  // no name twice
    CHECK_FALSE(accounted.count(conflict_log_table));
    accounted.insert(conflict_log_table);
    CHECK(created == accounted);
}
