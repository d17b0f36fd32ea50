// A record's key as every internal table stores it (recordId, TEXT), and the
// SQL that makes it from a row and finds the row again.
//
// One key column: the column's value, as the original stores it. Several:
// a JSON array of their values in key order, exactly as SQLite's
// json_array() writes it (`["u1","p7"]`, `["u1",3]`), so every client makes
// the same text for the same row. Such a key from a peer is used only when
// it is that exact text (canonical_key_sql): a key spelled otherwise, or not
// JSON at all, would name a row under a second recordId.
#pragma once

#include <string>
#include <string_view>

#include "engine/tables/synced_table.hpp"

namespace nas_sync {

// The key of the row `row` names ("NEW", "t", ...): an SQL expression.
// Several columns: NULL when a value is neither TEXT nor INTEGER (such a row
// cannot be keyed, and is skipped like a row whose single key is not text).
std::string key_expression(const TableInfo& table, std::string_view row);

// An SQL condition: the row `row` names has the key that the SQL expression
// `key` gives. Several columns: false for a key that is not a JSON array.
std::string key_match(const TableInfo& table, std::string_view row, std::string_view key);

// The key columns, quoted and comma-separated, with `row.` before each when
// given: for ON CONFLICT, ORDER BY and CREATE INDEX.
std::string key_column_list(const TableInfo& table, std::string_view row = "");

// An SQL expression, true when the expression `key` is a key of the table
// as this engine writes it (always true for a single key column).
std::string canonical_key_sql(const TableInfo& table, std::string_view key);

}  // namespace nas_sync
