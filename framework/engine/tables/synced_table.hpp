// A synced table as the engine uses it: which table, its key and timestamp
// columns (discovery's choice), and all its columns as the local schema has
// them. The engine's own type: how the table was chosen (which discovery
// plugin, which options) is the host's business.
#pragma once

#include <string>
#include <vector>

#include "nas_sync/discovery.hpp"

namespace nas_sync {

struct TableInfo {
    std::string name;
    // One TEXT column (the original's kind), or several (record_key.hpp).
    std::vector<std::string> key_columns;
    // "" when the table has none: versions are the time of capture.
    std::string timestamp_column;
    std::vector<ColumnSchema> columns;

    bool composite_key() const { return key_columns.size() > 1; }
    // A table the original's clients can sync too: one key column and a
    // timestamp. Only these make `schema_version: auto` (schema_version.hpp).
    bool original_kind() const { return key_columns.size() == 1 && !timestamp_column.empty(); }
    bool is_key_column(const std::string& column) const;
};

// The original's heartbeat table, synced like an application table (its
// states are bookkeeping, not counted in a sync's result).
TableInfo heartbeat_table();
inline constexpr const char* heartbeat_table_name = "_heartbeat";

}  // namespace nas_sync
