// nas_sync/discovery.hpp: which tables of the local database are synced.
//
// The host reads the local database's schema into a DatabaseSchema (it never
// hands a plugin a database handle) and asks the discovery plugin which tables
// to sync, with their primary-key and timestamp columns.
//
// Threads: discover() is called from one thread at a time.
// Failures: throw nas_sync::Error with ErrorCode::config when the database
// does not fit the configuration (a listed table is missing, no table at all
// qualifies), naming the table and what was expected.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nas_sync {

// Whether two table or column names name the same thing in SQLite, which
// compares identifiers without regard to ASCII case ("LocalCache" is
// "localcache").
inline bool same_sql_name(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

struct ColumnSchema {
    std::string name;
    std::string declared_type;  // as written in CREATE TABLE, e.g. "TEXT", "" when none
    bool not_null = false;
    int primary_key_position = 0;  // 0 when not part of the primary key, else 1, 2, ...
};

struct TableSchema {
    std::string name;
    std::vector<ColumnSchema> columns;  // in definition order

    // The column of that name, as SQLite matches names (case aside).
    const ColumnSchema* find(std::string_view column) const {
        for (const auto& c : columns)
            if (same_sql_name(c.name, column)) return &c;
        return nullptr;
    }

    // True when `column` alone is the table's primary key (the engine upserts on it).
    bool is_sole_primary_key(std::string_view column) const {
        for (const auto& c : columns)
            if (c.primary_key_position != 0 && !same_sql_name(c.name, column)) return false;
        const auto* key = find(column);
        return key && key->primary_key_position == 1;
    }
};

// Every ordinary table of the database, in sqlite_master order.
struct DatabaseSchema {
    std::vector<TableSchema> tables;

    // The table of that name, as SQLite matches names (case aside).
    const TableSchema* find(std::string_view table) const {
        for (const auto& t : tables)
            if (same_sql_name(t.name, table)) return &t;
        return nullptr;
    }
};

// Names as the database spells them (a discovery plugin matches the
// pipeline's names to the schema's case-insensitively, as SQLite does, and
// returns the schema's spelling).
struct SyncedTable {
    std::string name;
    std::string primary_key;
    std::string timestamp_column;
};

struct DiscoveryResult {
    std::vector<SyncedTable> tables;    // sorted by name (byte order)
    std::vector<std::string> warnings;  // tables left out, and why
};

class TableDiscovery {
public:
    virtual ~TableDiscovery() = default;
    TableDiscovery() = default;
    TableDiscovery(const TableDiscovery&) = delete;
    TableDiscovery& operator=(const TableDiscovery&) = delete;

    virtual DiscoveryResult discover(const DatabaseSchema& schema) = 0;
};

}  // namespace nas_sync
