#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include "database/schema.hpp"

#include <cstring>
#include <fstream>
#include "nas_sync/error.hpp"

namespace nas_sync {

std::string quote_identifier(const std::string& name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

std::string quote_literal(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') out += '\'';
        out += c;
    }
    return out + '\'';
}

namespace {

// The table's UNIQUE indexes over plain columns in the default collation: a
// partial index or one over an expression does not identify every row by its
// columns, and one with another collation (COLLATE NOCASE) is no upsert
// target for them.
void read_unique_indexes(SQLite::Database& db, TableSchema& table) {
    SQLite::Statement indexes(db, "SELECT name, origin FROM pragma_index_list(?) WHERE \"unique\" = 1 AND partial = 0");
    indexes.bind(1, table.name);
    while (indexes.executeStep()) {
        UniqueIndexSchema index{indexes.getColumn(0).getString(), {}, indexes.getColumn(1).getString() == "pk"};
        SQLite::Statement columns(db, "SELECT cid, name, coll FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno");
        columns.bind(1, index.name);
        bool plain = true;
        while (columns.executeStep()) {
            if (columns.getColumn(0).getInt() < 0 || columns.getColumn(2).getString() != "BINARY")
                plain = false;  // an expression, the rowid, or another collation
            else index.columns.push_back(columns.getColumn(1).getString());
        }
        if (plain && !index.columns.empty()) table.unique_indexes.push_back(std::move(index));
    }
}

}  // namespace

DatabaseSchema read_schema(SQLite::Database& db) {
    DatabaseSchema schema;
    SQLite::Statement tables(db,
                             "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
                             "ESCAPE '\\' AND sql NOT LIKE 'CREATE VIRTUAL %' ORDER BY rowid");
    while (tables.executeStep()) {
        TableSchema table;
        table.name = tables.getColumn(0).getString();
        SQLite::Statement columns(db, "SELECT name, type, \"notnull\", pk, hidden FROM pragma_table_xinfo(?)");
        columns.bind(1, table.name);
        while (columns.executeStep()) {
            if (columns.getColumn(4).getInt() != 0) continue;  // hidden or generated: computed locally
            table.columns.push_back({columns.getColumn(0).getString(), columns.getColumn(1).getString(),
                                     columns.getColumn(2).getInt() != 0, columns.getColumn(3).getInt()});
        }
        read_unique_indexes(db, table);
        schema.tables.push_back(std::move(table));
    }
    return schema;
}

std::optional<std::string> problem_with_database_file(const std::filesystem::path& file) {
    std::error_code ec;
    const auto status = std::filesystem::status(file, ec);
    if (!std::filesystem::exists(status)) return "does not exist (check the path, or create the database first)";
    if (std::filesystem::is_directory(status)) return "is a folder, not a SQLite database file";
    if (!std::filesystem::is_regular_file(status)) return "is not a regular file";
    std::ifstream in(file, std::ios::binary);
    if (!in) return "cannot be read by this user";
    char header[16] = {};
    in.read(header, sizeof header);
    if (in.gcount() > 0 && (in.gcount() < 16 || std::memcmp(header, "SQLite format 3", 16) != 0))
        return "is not a SQLite database (its first bytes are not \"SQLite format 3\")";
    return std::nullopt;
}

SQLite::Database open_database_read_only(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
        throw Error(ErrorCode::not_found, fmt::format("database '{}' does not exist", file.string()));
    try {
        SQLite::Database db(file.string(), SQLite::OPEN_READONLY);
        db.exec("PRAGMA query_only = ON");
        db.setBusyTimeout(5000);
        return db;
    } catch (const SQLite::Exception& e) {
        throw Error(ErrorCode::io, fmt::format("cannot open database '{}': {}", file.string(), e.what()));
    }
}

}  // namespace nas_sync
