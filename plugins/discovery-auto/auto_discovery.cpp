#include "auto_discovery.hpp"

#include <nas_sync/error.hpp>

#include <algorithm>
#include <cctype>

namespace nas_sync::auto_discovery {
namespace {

bool is_text_type(const std::string& declared) {
    std::string upper;
    for (char c : declared) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return upper == "TEXT";
}

}  // namespace

DiscoveryResult AutoDiscovery::discover(const DatabaseSchema& schema) {
    DiscoveryResult result;
    for (const auto& table : schema.tables) {
        const std::string& name = table.name;
        if (name.starts_with("_") || name.starts_with("sqlite_") || rules_.exclude.count(name)) continue;
        const auto* key = table.find(rules_.primary_key);
        if (key == nullptr) continue;  // not an application table meant for sync
        if (!is_text_type(key->declared_type)) {
            result.warnings.push_back("table '" + name + "' skipped: its key column '" + rules_.primary_key +
                                      "' is declared '" + key->declared_type +
                                      "', not TEXT (exclude the table to silence this)");
            continue;
        }
        if (!table.is_sole_primary_key(rules_.primary_key)) {
            result.warnings.push_back("table '" + name + "' skipped: column '" + rules_.primary_key +
                                      "' is not its primary key (exclude the table to silence this)");
            continue;
        }
        const auto override_it = rules_.timestamp_columns.find(name);
        const std::string& timestamp =
            override_it != rules_.timestamp_columns.end() ? override_it->second : rules_.timestamp_column;
        if (table.find(timestamp) == nullptr) {
            result.warnings.push_back("table '" + name + "' skipped: it has the key column '" + rules_.primary_key +
                                      "' but no timestamp column '" + timestamp +
                                      "' (set timestamp_columns, or exclude the table to silence this)");
            continue;
        }
        result.tables.push_back({name, rules_.primary_key, timestamp});
    }
    for (const auto& entry : rules_.timestamp_columns) {
        const std::string& table = entry.first;
        if (std::none_of(schema.tables.begin(), schema.tables.end(),
                         [&](const TableSchema& t) { return t.name == table; }))
            result.warnings.push_back("timestamp_columns names table '" + table + "', which does not exist");
    }
    if (result.tables.empty())
        throw Error(ErrorCode::config,
                    "no table to sync: a synced table needs a TEXT primary key column '" + rules_.primary_key +
                        "' and a timestamp column ('" + rules_.timestamp_column +
                        "' unless timestamp_columns says otherwise), and a name not starting with '_' or 'sqlite_'");
    std::sort(result.tables.begin(), result.tables.end(),
              [](const SyncedTable& a, const SyncedTable& b) { return a.name < b.name; });
    return result;
}

}  // namespace nas_sync::auto_discovery
