// Reading a SQLite database's schema, and quoting names for SQL.
#pragma once

#include <SQLiteCpp/Database.h>

#include <filesystem>
#include <optional>
#include <string>

#include "nas_sync/discovery.hpp"

namespace nas_sync {

// "name" with embedded quotes doubled: safe for any table or column name.
std::string quote_identifier(const std::string& name);
// 'text' with embedded quotes doubled.
std::string quote_literal(const std::string& text);

// Every ordinary table (not views, not virtual tables, not sqlite_*), in
// sqlite_master order, with its visible columns in definition order.
DatabaseSchema read_schema(SQLite::Database& db);

// What is wrong with a file given as the application's database ("does not
// exist", "is a folder", "is not a SQLite database", ...), or nothing. An
// empty file is an empty database.
std::optional<std::string> problem_with_database_file(const std::filesystem::path& file);

// Opens the application's database read-only, for commands that change
// nothing. Error(not_found) when it does not exist.
SQLite::Database open_database_read_only(const std::filesystem::path& file);

}  // namespace nas_sync
