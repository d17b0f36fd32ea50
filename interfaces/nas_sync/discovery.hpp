// nas_sync/discovery.hpp: which tables of the local database are synced.
//
// The host reads the local database's schema into a DatabaseSchema (it never
// hands a plugin a database handle) and asks the discovery plugin which tables
// to sync, with their key and timestamp columns.
//
// Threads: discover() is called from one thread at a time.
// Failures: throw nas_sync::Error with ErrorCode::config when the database
// does not fit the configuration (a listed table is missing, no table at all
// qualifies), naming the table and what was expected.
#pragma once

#include <algorithm>
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

// A UNIQUE index over plain columns (not partial, no expressions), the
// primary key's own included (then primary_key is set).
struct UniqueIndexSchema {
    std::string name;
    std::vector<std::string> columns;  // in index order
    bool primary_key = false;
};

struct TableSchema {
    std::string name;
    std::vector<ColumnSchema> columns;  // in definition order
    std::vector<UniqueIndexSchema> unique_indexes;  // in index-list order

    // The primary key's columns in key order (none: the table has no declared key).
    std::vector<std::string> primary_key() const {
        std::vector<std::string> key;
        for (int position = 1;; ++position) {
            const auto c = std::find_if(columns.begin(), columns.end(),
                                        [&](const ColumnSchema& column) { return column.primary_key_position == position; });
            if (c == columns.end()) return key;
            key.push_back(c->name);
        }
    }

    // The column of that name, as SQLite matches names (case aside).
    const ColumnSchema* find(std::string_view column) const {
        for (const auto& c : columns)
            if (same_sql_name(c.name, column)) return &c;
        return nullptr;
    }

    // True when `column` alone is the table's primary key (the engine upserts on it).
    bool is_sole_primary_key(std::string_view column) const { return same_columns(primary_key(), {std::string(column)}); }

    // Why `key` cannot identify this table's records, "" when it can: the
    // columns must exist and be, in any order, the primary key or a UNIQUE
    // index's columns; where they are several, or a UNIQUE index's, they
    // must be NOT NULL (SQLite lets NULLs repeat), and a composite key's
    // values are TEXT or INTEGER, so not a REAL or BLOB column.
    std::string key_problem(const std::vector<std::string>& key) const {
        if (key.empty()) return "no key column";
        for (const auto& column : key)
            if (!find(column)) return "has no column '" + column + "'";
        const bool primary = same_columns(primary_key(), key);
        const bool unique = std::any_of(unique_indexes.begin(), unique_indexes.end(),
                                        [&](const UniqueIndexSchema& index) { return same_columns(index.columns, key); });
        if (!primary && !unique) return "its primary key is not (" + joined(key) + ") and no UNIQUE index is over them";
        // Its primary key's values would be applied from peers too, and
        // collide where each computer numbered its own.
        if (!primary && !primary_key().empty())
            return "it has a primary key (" + joined(primary_key()) +
                   "), so that is its record key; a UNIQUE index keys only a table without one";
        for (const auto& key_column : key) {
            const auto* column = find(key_column);
            if ((key.size() > 1 || !primary) && !column->not_null)
                return "key column '" + column->name + "' is not NOT NULL";
            if (key.size() > 1 && !integer_or_text(column->declared_type))
                return "key column '" + column->name + "' is declared '" + column->declared_type +
                       "': a composite key's columns hold TEXT or INTEGER values";
        }
        return "";
    }

    // `key` (for which key_problem() is "") in the order the primary key or
    // its UNIQUE index declares: every client then makes the same recordId,
    // whatever order its configuration listed the columns in.
    std::vector<std::string> declared_order(const std::vector<std::string>& key) const {
        if (same_columns(primary_key(), key)) return primary_key();
        for (const auto& index : unique_indexes)
            if (same_columns(index.columns, key)) {
                std::vector<std::string> out;
                for (const auto& column : index.columns) out.push_back(find(column)->name);
                return out;
            }
        return key;
    }

    static std::string joined(const std::vector<std::string>& names) {
        std::string out;
        for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
        return out;
    }

private:
    // The same columns, in any order, as SQLite matches names.
    static bool same_columns(const std::vector<std::string>& a, const std::vector<std::string>& b) {
        if (a.empty() || a.size() != b.size()) return false;
        return std::all_of(a.begin(), a.end(), [&](const std::string& x) {
            return std::any_of(b.begin(), b.end(), [&](const std::string& y) { return same_sql_name(x, y); });
        });
    }

    // SQLite's affinity rules: a type naming INT is INTEGER, one naming
    // CHAR, CLOB or TEXT is TEXT; REAL, BLOB and untyped columns are not.
    static bool integer_or_text(const std::string& declared) {
        std::string upper;
        for (char c : declared) upper += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
        for (const char* word : {"INT", "CHAR", "CLOB", "TEXT"})
            if (upper.find(word) != std::string::npos) return true;
        return false;
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
//
// The key identifies a record on every client: one TEXT column (the
// original's kind, which its clients sync too), or several NOT NULL columns
// of TEXT or INTEGER values. Either the table's primary key or the columns
// of a UNIQUE index over NOT NULL columns. An empty timestamp column: the
// table has none, and a record's version is the time its change was
// captured (docs/architecture.md, "Versions").
struct SyncedTable {
    std::string name;
    std::vector<std::string> key_columns;
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
