#include "engine/tables/record_key.hpp"

#include <fmt/format.h>

#include "database/schema.hpp"

namespace nas_sync {

namespace {

std::string column_of(std::string_view row, const std::string& column) {
    return (row.empty() ? std::string() : std::string(row) + ".") + quote_identifier(column);
}

// The i-th value of a composite key given as the SQL expression `key`, NULL
// when `key` is not JSON (json_extract would raise an error instead).
std::string key_part(std::string_view key, std::size_t i) {
    return fmt::format("json_extract(CASE WHEN json_valid({0}) THEN {0} END, '$[{1}]')", key, i);
}

}  // namespace

std::string key_expression(const TableInfo& table, std::string_view row) {
    if (!table.composite_key()) return column_of(row, table.key_columns.at(0));
    std::string keyable, values;
    for (const auto& column : table.key_columns) {
        const std::string c = column_of(row, column);
        keyable += fmt::format("{}typeof({}) IN ('text', 'integer')", keyable.empty() ? "" : " AND ", c);
        values += (values.empty() ? "" : ", ") + c;
    }
    return fmt::format("CASE WHEN {} THEN json_array({}) END", keyable, values);
}

std::string key_match(const TableInfo& table, std::string_view row, std::string_view key) {
    if (!table.composite_key()) return fmt::format("{} = {}", column_of(row, table.key_columns.at(0)), key);
    std::string out;
    for (std::size_t i = 0; i < table.key_columns.size(); ++i)
        out += fmt::format("{}{} = {}", i ? " AND " : "", column_of(row, table.key_columns[i]), key_part(key, i));
    return out;
}

std::string key_column_list(const TableInfo& table, std::string_view row) {
    std::string out;
    for (const auto& column : table.key_columns) out += (out.empty() ? "" : ", ") + column_of(row, column);
    return out;
}

std::string canonical_key_sql(const TableInfo& table, std::string_view key) {
    if (!table.composite_key()) return "1";
    std::string parts, types;
    for (std::size_t i = 0; i < table.key_columns.size(); ++i) {
        parts += fmt::format("{}json_extract({}, '$[{}]')", i ? ", " : "", key, i);
        types += fmt::format(" AND json_type({}, '$[{}]') IN ('text', 'integer')", key, i);
    }
    // Nested: SQLite may evaluate both sides of an AND, and json_type raises
    // an error on text that is not JSON.
    return fmt::format("(CASE WHEN json_valid({0}) THEN (CASE WHEN json_type({0}) = 'array' THEN "
                       "json_array_length({0}) = {1}{2} AND json_array({3}) = {0} ELSE 0 END) ELSE 0 END)",
                       key, table.key_columns.size(), types, parts);
}

}  // namespace nas_sync
