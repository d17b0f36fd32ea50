#include "engine/tables/synced_table.hpp"

#include <algorithm>

namespace nas_sync {

bool TableInfo::is_key_column(const std::string& column) const {
    return std::find(key_columns.begin(), key_columns.end(), column) != key_columns.end();
}

TableInfo heartbeat_table() {
    return {heartbeat_table_name, {"id"}, "updatedAt", {{"id", "TEXT", false, 1}, {"updatedAt", "TEXT", true, 0}}};
}

}  // namespace nas_sync
