#include "engine/local/internal_tables.hpp"

#include <fmt/format.h>

#include "database/schema.hpp"
#include "database/statement.hpp"
#include "engine/tables/record_key.hpp"

namespace nas_sync {

const char* const internal_tables_sql = R"(
CREATE TABLE IF NOT EXISTS _changelog (id INTEGER PRIMARY KEY AUTOINCREMENT, tableName TEXT NOT NULL, recordId TEXT NOT NULL, operation TEXT NOT NULL, changedAt TEXT NOT NULL DEFAULT (datetime('now')));
CREATE INDEX IF NOT EXISTS idx_changelog_id ON _changelog(id);
CREATE TABLE IF NOT EXISTS _sync_state (remoteClientId TEXT PRIMARY KEY, lastSeenId INTEGER NOT NULL DEFAULT 0, lastSyncedAt TEXT);
CREATE TABLE IF NOT EXISTS _tombstone (tableName TEXT NOT NULL, recordId TEXT NOT NULL, deletedAt TEXT NOT NULL DEFAULT (datetime('now')), PRIMARY KEY (tableName, recordId));
CREATE TABLE IF NOT EXISTS _heartbeat (id TEXT PRIMARY KEY, updatedAt TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS _sync_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS _nas_sync_versions (tableName TEXT NOT NULL, recordId TEXT NOT NULL, time INTEGER NOT NULL, deleted INTEGER NOT NULL, hash INTEGER NOT NULL, origin INTEGER NOT NULL DEFAULT 0, base INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (tableName, recordId)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _nas_sync_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS _nas_sync_peers (clientId TEXT PRIMARY KEY, merged INTEGER NOT NULL DEFAULT 0, objectSize INTEGER, objectModified INTEGER);
CREATE TABLE IF NOT EXISTS _nas_sync_journal (clientId TEXT PRIMARY KEY, segment INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS _nas_sync_conflicts (id INTEGER PRIMARY KEY, decidedAt INTEGER NOT NULL, tableName TEXT NOT NULL, recordId TEXT NOT NULL, peer TEXT NOT NULL, resolution TEXT NOT NULL, resolver TEXT NOT NULL, localTime INTEGER NOT NULL, localDeleted INTEGER NOT NULL, remoteTime INTEGER NOT NULL, remoteDeleted INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS idx_nas_sync_conflicts_decided ON _nas_sync_conflicts(decidedAt);
CREATE TABLE IF NOT EXISTS _nas_sync_digest (tableName TEXT PRIMARY KEY, rows INTEGER NOT NULL, digest INTEGER NOT NULL);
)";

const std::vector<std::string> published_internal_tables = {
    "_changelog",         "_sync_state",     "_tombstone",      "_heartbeat",       "_sync_meta",
    "_nas_sync_versions", "_nas_sync_state", "_nas_sync_peers", "_nas_sync_journal", "_nas_sync_digest"};

void upgrade_internal_tables(sqlite3* db) {
    for (const char* column : {"origin", "base"}) {
        Statement has(db, "SELECT count(*) FROM pragma_table_info('_nas_sync_versions') WHERE name = ?");
        has.bind(1, std::string(column));
        if (has.step() && has.integer(0) == 0)
            exec(db, fmt::format("ALTER TABLE _nas_sync_versions ADD COLUMN {} INTEGER NOT NULL DEFAULT 0", column));
    }
}

std::string trigger_name(const std::string& operation, const std::string& table) {
    return "_changelog_after_" + operation + "_" + table;
}

std::string trigger_sql(const std::string& operation, const TableInfo& table) {
    const std::string upper = operation == "insert" ? "INSERT" : operation == "update" ? "UPDATE" : "DELETE";
    const std::string row = operation == "delete" ? "OLD" : "NEW";
    const std::string name = quote_literal(table.name);
    const std::string key = key_expression(table, row);
    const auto log = [&](const std::string& logged_key, const std::string& logged_operation, const std::string& when) {
        return fmt::format("INSERT INTO _changelog (tableName, recordId, operation) SELECT {}, {}, '{}'{};", name,
                           logged_key, logged_operation, when);
    };
    const auto tombstone = [&](const std::string& removed_key, const std::string& when) {
        return fmt::format(" INSERT OR REPLACE INTO _tombstone (tableName, recordId, deletedAt) SELECT {}, {}, "
                           "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'){};",
                           name, removed_key, when);
    };
    std::string body;
    if (table.composite_key())  // json_array() cannot hold a BLOB, and a REAL is not an exact key
        body += fmt::format("SELECT RAISE(ABORT, {}) WHERE {} IS NULL; ",
                            quote_literal("nas-sync: the key columns (" + key_column_list(table) + ") of table '" +
                                          table.name + "' must hold TEXT or INTEGER values"),
                            key);
    if (operation == "update") {
        // A changed key removes the record of the old one: peers delete it too.
        const std::string old_key = key_expression(table, "OLD");
        const std::string changed = fmt::format(" WHERE {} IS NOT {}", old_key, key);
        body += log(old_key, "DELETE", changed) + tombstone(old_key, changed) + " ";
    }
    body += log(key, upper, "");
    if (operation == "delete") body += tombstone(key, "");
    return fmt::format("CREATE TRIGGER {} AFTER {} ON {} FOR EACH ROW BEGIN {} END",
                       quote_identifier(trigger_name(operation, table.name)), upper, quote_identifier(table.name), body);
}

}  // namespace nas_sync
