#include "engine/tables/synced_table.hpp"

namespace nas_sync {

TableInfo heartbeat_table() {
    return {heartbeat_table_name, "id", "updatedAt", {{"id", "TEXT", false, 1}, {"updatedAt", "TEXT", true, 0}}};
}

}  // namespace nas_sync
