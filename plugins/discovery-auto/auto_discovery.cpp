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

// `_X` with exactly the columns A and B: how Prisma writes an implicit
// many-to-many relation.
bool looks_like_prisma_join(const TableSchema& table) {
    return table.name.starts_with("_") && table.columns.size() == 2 && table.find("A") && table.find("B");
}

// The columns that identify the table's records beyond the original's rules:
// a composite primary key, else a single TEXT one, else the first UNIQUE
// index over NOT NULL columns; none when nothing qualifies. A single INTEGER
// key is no record key across computers (every client counts 1, 2, 3).
std::vector<std::string> wider_key(const TableSchema& table) {
    const auto primary = table.primary_key();
    const bool integer_id = primary.size() == 1 && !is_text_type(table.find(primary[0])->declared_type);
    if (!primary.empty() && !integer_id && table.key_problem(primary).empty()) return primary;
    for (const auto& index : table.unique_indexes)
        if (!index.primary_key && table.key_problem(index.columns).empty() &&
            (index.columns.size() > 1 || is_text_type(table.find(index.columns[0])->declared_type)))
            return index.columns;
    return {};
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
    const std::string how_to_sync =
        "discovery 'prisma' (for a Prisma schema) or 'explicit' syncs it; exclude it to silence this";
    for (const auto& table : schema.tables) {
        const std::string& name = table.name;
        if (name.starts_with("sqlite_") || excluded(name)) continue;
        if (name.starts_with("_")) {
            if (looks_like_prisma_join(table))
                result.warnings.push_back("table '" + name + "' skipped: it looks like a Prisma many-to-many table (" +
                                          how_to_sync + ")");
            continue;  // the sync's own tables, and the original leaves '_' tables alone
        }
        const auto override_it =
            std::find_if(rules_.timestamp_columns.begin(), rules_.timestamp_columns.end(),
                         [&](const auto& entry) { return same_sql_name(entry.first, name); });
        const std::string& timestamp =
            override_it != rules_.timestamp_columns.end() ? override_it->second : rules_.timestamp_column;
        const auto* timestamp_column = table.find(timestamp);
        const auto* key = table.find(rules_.primary_key);
        const bool original_key = key && is_text_type(key->declared_type) && table.is_sole_primary_key(key->name);
        if (original_key && timestamp_column) {
            result.tables.push_back({name, {key->name}, timestamp_column->name});
            continue;
        }
        if (rules_.all_keyed_tables && override_it != rules_.timestamp_columns.end() && !timestamp_column) {
            result.warnings.push_back("table '" + name + "' skipped: timestamp_columns names its column '" + timestamp +
                                      "', which it does not have");
            continue;
        }
        if (rules_.all_keyed_tables) {
            auto columns = original_key ? std::vector<std::string>{key->name} : wider_key(table);
            if (!columns.empty()) {
                result.tables.push_back({name, std::move(columns), timestamp_column ? timestamp_column->name : ""});
                continue;
            }
            result.warnings.push_back("table '" + name +
                                      "' skipped: no TEXT primary key, composite primary key or UNIQUE index over "
                                      "NOT NULL columns identifies its records on every computer (exclude the table "
                                      "to silence this)");
            continue;
        }
        if (table.primary_key().size() > 1) {
            result.warnings.push_back("table '" + name + "' skipped: its primary key is composite (" +
                                      TableSchema::joined(table.primary_key()) +
                                      "); all_keyed_tables: true or " + how_to_sync);
            continue;
        }
        if (key == nullptr) continue;  // not an application table meant for sync
        if (!is_text_type(key->declared_type)) {
            result.warnings.push_back("table '" + name + "' skipped: its key column '" + key->name +
                                      "' is declared '" + key->declared_type +
                                      "', not TEXT (exclude the table to silence this)");
            continue;
        }
        if (!original_key) {
            result.warnings.push_back("table '" + name + "' skipped: column '" + key->name +
                                      "' is not its primary key (exclude the table to silence this)");
            continue;
        }
        result.warnings.push_back("table '" + name + "' skipped: it has the key column '" + key->name +
                                  "' but no timestamp column '" + timestamp +
                                  "' (set timestamp_columns, or all_keyed_tables: true to version its records by "
                                  "capture time, or exclude the table to silence this)");
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
