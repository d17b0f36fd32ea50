// Discovery `auto`: the original sqlite-nas-sync's rules for choosing tables.
#pragma once

#include <nas_sync/discovery.hpp>

#include <map>
#include <set>
#include <string>

namespace nas_sync::auto_discovery {

struct Rules {
    std::string primary_key = "id";
    std::string timestamp_column = "updatedAt";
    std::map<std::string, std::string> timestamp_columns;  // per-table override
    std::set<std::string> exclude;
    // Also tables keyed by a composite primary key or a UNIQUE index, and
    // tables without the timestamp column (versioned by capture time).
    bool all_keyed_tables = false;
};

class AutoDiscovery final : public TableDiscovery {
public:
    explicit AutoDiscovery(Rules rules) : rules_(std::move(rules)) {}
    DiscoveryResult discover(const DatabaseSchema& schema) override;

private:
    Rules rules_;
};

}  // namespace nas_sync::auto_discovery
