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
#include <vector>

namespace nas_sync {

struct ColumnSchema {
    std::string name;
    std::string declared_type;  // as written in CREATE TABLE, e.g. "TEXT", "" when none
    bool not_null = false;
    int primary_key_position = 0;  // 0 when not part of the primary key, else 1, 2, ...
};

struct TableSchema {
    std::string name;
    std::vector<ColumnSchema> columns;  // in definition order

    const ColumnSchema* find(const std::string& column) const {
        for (const auto& c : columns)
            if (c.name == column) return &c;
        return nullptr;
    }

    // True when `column` alone is the table's primary key (the engine upserts on it).
    bool is_sole_primary_key(const std::string& column) const {
        for (const auto& c : columns)
            if (c.primary_key_position != 0 && c.name != column) return false;
        const auto* key = find(column);
        return key && key->primary_key_position == 1;
    }
};

// Every ordinary table of the database, in sqlite_master order.
struct DatabaseSchema {
    std::vector<TableSchema> tables;
};

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
