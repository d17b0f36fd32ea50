#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include "database/schema.hpp"
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
        schema.tables.push_back(std::move(table));
    }
    return schema;
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
