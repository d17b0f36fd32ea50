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
    std::string primary_key;
    std::string timestamp_column;
    std::vector<ColumnSchema> columns;
};

// The original's heartbeat table, synced like an application table (its
// states are bookkeeping, not counted in a sync's result).
TableInfo heartbeat_table();
inline constexpr const char* heartbeat_table_name = "_heartbeat";

}  // namespace nas_sync
