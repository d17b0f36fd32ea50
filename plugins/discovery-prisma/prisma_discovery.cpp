#include "prisma_discovery.hpp"

#include <nas_sync/error.hpp>

#include <algorithm>

namespace nas_sync::prisma_discovery {

namespace {

bool matches_any(const auto& names, const std::string& table) {
    return std::any_of(names.begin(), names.end(), [&](const auto& n) { return same_sql_name(n, table); });
}

std::string upper(const std::string& text) {
    std::string out;
    for (char c : text) out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    return out;
}

// Prisma's implicit many-to-many table: `_<A>To<B>` (or `_<RelationName>`)
// with the two columns A and B, unique together.
bool is_join_table(const TableSchema& table) {
    return table.name.starts_with("_") && table.columns.size() == 2 && table.find("A") && table.find("B");
}

// The model's record key: its primary key, else its first UNIQUE index over
// NOT NULL columns; none when neither can key it.
std::vector<std::string> model_key(const TableSchema& table) {
    const auto primary = table.primary_key();
    if (!primary.empty()) return table.key_problem(primary).empty() ? primary : std::vector<std::string>{};
    for (const auto& index : table.unique_indexes)
        if (table.key_problem(index.columns).empty()) return index.columns;
    return {};
}

// An auto-increment id: Prisma's `Int @id @default(autoincrement())` is an
// INTEGER PRIMARY KEY, which SQLite numbers per database.
bool integer_id(const TableSchema& table, const std::vector<std::string>& key) {
    return key.size() == 1 && upper(table.find(key[0])->declared_type).find("INT") != std::string::npos;
}

}  // namespace

DiscoveryResult PrismaDiscovery::discover(const DatabaseSchema& schema) {
    DiscoveryResult result;
    for (const auto& table : schema.tables) {
        const std::string& name = table.name;
        if (name.starts_with("sqlite_") || matches_any(rules_.exclude, name)) continue;
        std::vector<std::string> key;
        if (is_join_table(table)) {
            key = {table.find("A")->name, table.find("B")->name};
            if (const auto problem = table.key_problem(key); !problem.empty())
                throw Error(ErrorCode::config, "table '" + name + "' looks like a Prisma many-to-many table but " +
                                                   problem + " (exclude it if it is not one)");
        } else if (name.starts_with("_")) {
            continue;  // not a model: _prisma_migrations, the sync's own tables, other tools'
        } else {
            key = model_key(table);
            if (key.empty()) {
                const auto primary = table.primary_key();
                result.warnings.push_back(
                    "table '" + name + "' skipped: " +
                    (primary.empty() ? std::string("no @id, @@id or @unique over required fields identifies its records")
                                     : "its primary key (" + TableSchema::joined(primary) +
                                           ") cannot key it: " + table.key_problem(primary)) +
                    " (exclude the table to silence this)");
                continue;
            }
            if (integer_id(table, key))
                throw Error(ErrorCode::config,
                            "table '" + name + "' is keyed by the integer '" + key[0] +
                                "' (Int @id @default(autoincrement())): every computer numbers its own rows 1, 2, 3, "
                                "so one id would name different records on different computers; give the model a "
                                "String @id @default(cuid()) or @default(uuid()), or add '" +
                                name + "' to the discovery's exclude list to keep it local");
        }
        const auto override_it = std::find_if(rules_.timestamp_columns.begin(), rules_.timestamp_columns.end(),
                                              [&](const auto& entry) { return same_sql_name(entry.first, name); });
        const bool overridden = override_it != rules_.timestamp_columns.end();
        const std::string wanted = overridden ? override_it->second : "updatedAt";
        const auto* timestamp = wanted == "none" ? nullptr : table.find(wanted);
        if (overridden && wanted != "none" && !timestamp)
            throw Error(ErrorCode::config, "timestamp_columns: table '" + name + "' has no column '" + wanted +
                                               "' (say 'none' for a table without one)");
        SyncedTable chosen{name, {}, timestamp ? timestamp->name : ""};
        for (const auto& column : key) chosen.key_columns.push_back(table.find(column)->name);
        result.tables.push_back(std::move(chosen));
    }
    for (const auto& entry : rules_.timestamp_columns)
        if (!schema.find(entry.first))
            result.warnings.push_back("timestamp_columns names table '" + entry.first + "', which does not exist");
    for (const auto& table : rules_.exclude)
        if (!schema.find(table)) result.warnings.push_back("exclude names table '" + table + "', which does not exist");
    if (result.tables.empty())
        throw Error(ErrorCode::config, "no table to sync: the database has no Prisma model or many-to-many table "
                                       "(is it the database Prisma migrated?)");
    std::sort(result.tables.begin(), result.tables.end(),
              [](const SyncedTable& a, const SyncedTable& b) { return a.name < b.name; });
    return result;
}

}  // namespace nas_sync::prisma_discovery
