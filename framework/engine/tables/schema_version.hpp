// The schema version the original computes, so that both accept each other.
#pragma once

#include <string>
#include <vector>

#include "engine/tables/synced_table.hpp"

namespace nas_sync {

// JavaScript's localeCompare in the en-US locale (ICU root collation) for the
// names tables have: punctuation before digits before letters, letters
// compared without case first, then lowercase before uppercase.
bool locale_less(const std::string& a, const std::string& b);

// The first 16 hex digits of the SHA-256 of the tables' descriptions
// `<table>(<col>:<declared type>:<notnull 0/1>:<pk>,...)` joined by '|', in
// locale_less order.
std::string auto_schema_version(const std::vector<TableInfo>& tables);

}  // namespace nas_sync
