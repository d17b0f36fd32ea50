// Per synced table, the count of its live records and an order-free digest
// of them: the XOR of their recorded content hashes (which cover the key
// columns too). A trigger on _nas_sync_versions keeps both up to date as
// each version is written, so a digest costs what changed, not the table's
// size. Clients holding the same records have the same digests: what
// `nas-sync verify` compares across the fleet (engine/fleet/).
#pragma once

#include <sqlite3.h>

#include <compare>
#include <cstdint>
#include <map>
#include <string>

#include "database/statement.hpp"

namespace nas_sync {

struct TableDigest {
    std::int64_t rows = 0;
    std::uint64_t digest = 0;
    auto operator<=>(const TableDigest&) const = default;
};

class TableDigests {
public:
    explicit TableDigests(sqlite3* db) : db_(db), cache_(db) {}

    // Inside a write transaction, before the table's versions change: a
    // table without a digest gets one, computed once from its versions (a
    // database synced before digests existed); the trigger keeps it after.
    void ensure(const std::string& table);
    // The digest of each table that has one.
    std::map<std::string, TableDigest> read() const;

private:
    sqlite3* db_;
    mutable StatementCache cache_;
};

}  // namespace nas_sync
