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

// Names from the pipeline match the schema's as SQLite matches them (case
// aside); the schema's spelling is what the engine gets.
DiscoveryResult AutoDiscovery::discover(const DatabaseSchema& schema) {
    DiscoveryResult result;
    auto excluded = [&](const std::string& table) {
        return std::any_of(rules_.exclude.begin(), rules_.exclude.end(),
                           [&](const std::string& e) { return same_sql_name(e, table); });
    };
    for (const auto& table : schema.tables) {
        const std::string& name = table.name;
        if (name.starts_with("_") || name.starts_with("sqlite_") || excluded(name)) continue;
        const auto* key = table.find(rules_.primary_key);
        if (key == nullptr) continue;  // not an application table meant for sync
        if (!is_text_type(key->declared_type)) {
            result.warnings.push_back("table '" + name + "' skipped: its key column '" + key->name +
                                      "' is declared '" + key->declared_type +
                                      "', not TEXT (exclude the table to silence this)");
            continue;
        }
        if (!table.is_sole_primary_key(rules_.primary_key)) {
            result.warnings.push_back("table '" + name + "' skipped: column '" + key->name +
                                      "' is not its primary key (exclude the table to silence this)");
            continue;
        }
        const auto override_it =
            std::find_if(rules_.timestamp_columns.begin(), rules_.timestamp_columns.end(),
                         [&](const auto& entry) { return same_sql_name(entry.first, name); });
        const std::string& timestamp =
            override_it != rules_.timestamp_columns.end() ? override_it->second : rules_.timestamp_column;
        const auto* timestamp_column = table.find(timestamp);
        if (timestamp_column == nullptr) {
            result.warnings.push_back("table '" + name + "' skipped: it has the key column '" + key->name +
                                      "' but no timestamp column '" + timestamp +
                                      "' (set timestamp_columns, or exclude the table to silence this)");
            continue;
        }
        result.tables.push_back({name, key->name, timestamp_column->name});
    }
    for (const auto& entry : rules_.timestamp_columns)
        if (!schema.find(entry.first))
            result.warnings.push_back("timestamp_columns names table '" + entry.first + "', which does not exist");
    for (const auto& table : rules_.exclude)
        if (!schema.find(table))
            result.warnings.push_back("exclude names table '" + table + "', which does not exist");
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
