#include "engine/local/foreign_key_repair.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "database/schema.hpp"
#include "database/statement.hpp"
#include "engine/tables/record_key.hpp"

namespace nas_sync {

namespace {

struct ListedKey {
    std::string child, parent, on_delete;
    std::vector<std::string> from, to;  // in the key's column order
};

std::vector<ListedKey> list_foreign_keys(sqlite3* db) {
    Statement s(db,
                "SELECT m.name, f.id, f.\"table\", f.\"from\", f.\"to\", f.on_delete FROM sqlite_master AS m, "
                "pragma_foreign_key_list(m.name) AS f WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq");
    std::vector<ListedKey> keys;
    std::string last_child;
    std::int64_t last_id = -1;
    while (s.step()) {
        if (keys.empty() || s.text(0) != last_child || s.integer(1) != last_id)
            keys.push_back({s.text(0), s.text(2), s.text(5), {}, {}});
        last_child = s.text(0);
        last_id = s.integer(1);
        keys.back().from.push_back(s.text(3));
        keys.back().to.push_back(s.is_null(4) ? "" : s.text(4));  // "": the parent's primary key
    }
    return keys;
}

const TableInfo* find_table(const std::vector<TableInfo>& tables, const std::string& name) {
    for (const auto& t : tables)
        if (same_sql_name(t.name, name)) return &t;
    return nullptr;
}

bool column_may_be_null(sqlite3* db, const std::string& table, const std::string& column) {
    Statement s(db, "SELECT \"notnull\" FROM pragma_table_info(?) WHERE name = ? COLLATE NOCASE");
    s.bind(1, table).bind(2, column);
    return s.step() && s.integer(0) == 0;
}

}  // namespace

ForeignKeyRepair::ForeignKeyRepair(Connection& connection, const std::vector<TableInfo>& tables)
    : connection_(connection), cache_(connection.handle()) {
    sqlite3* db = connection.handle();
    for (auto& listed : list_foreign_keys(db)) {
        const TableInfo* parent = find_table(tables, listed.parent);
        if (!parent) continue;  // its parents are never deleted by a peer
        if (listed.to.front().empty()) listed.to = TableSchema{parent->name, parent->columns, {}}.primary_key();
        if (listed.to.size() != listed.from.size() || listed.to.size() != parent->key_columns.size()) continue;
        // The child's columns in the order of the parent's key columns.
        TableInfo reference{parent->name, {}, "", {}};
        for (const auto& key_column : parent->key_columns) {
            const auto at = std::find_if(listed.to.begin(), listed.to.end(),
                                         [&](const std::string& to) { return same_sql_name(to, key_column); });
            if (at == listed.to.end()) break;
            reference.key_columns.push_back(listed.from[static_cast<std::size_t>(at - listed.to.begin())]);
        }
        if (reference.key_columns.size() != parent->key_columns.size()) continue;  // not the parent's record key
        const TableInfo* synced_child = find_table(tables, listed.child);
        bool set_null = listed.on_delete == "SET NULL";
        for (const auto& column : reference.key_columns)
            set_null = set_null && column_may_be_null(db, listed.child, column) &&
                       !(synced_child && synced_child->is_key_column(column));
        keys_.push_back({listed.child, synced_child, parent, std::move(reference), listed.on_delete, set_null, {}, {}, {}, {}});
        prepare_sql(keys_.back());
    }
    // The keys of one parent table deleted in a transaction (repair()).
    if (!keys_.empty()) connection_.exec("CREATE TEMP TABLE IF NOT EXISTS _nas_sync_deleted_parents (key TEXT PRIMARY KEY)");
}

void ForeignKeyRepair::prepare_sql(ForeignKey& fk) const {
    const std::string parent = quote_identifier(fk.parent->name), child = quote_identifier(fk.child);
    const std::string reference = key_expression(fk.reference, "c");
    const std::string parent_gone = fmt::format("NOT EXISTS (SELECT 1 FROM {} AS p WHERE {})", parent,
                                                key_match(*fk.parent, "p", reference));
    const std::string references_deleted =
        fmt::format("{} IN (SELECT key FROM temp._nas_sync_deleted_parents) AND {}", reference, parent_gone);
    std::string set_null;
    for (const auto& column : fk.reference.key_columns)
        set_null += (set_null.empty() ? "" : ", ") + quote_identifier(column) + " = NULL";
    if (!fk.synced_child) {
        fk.unsynced_sql = fk.set_null ? fmt::format("UPDATE {} AS c SET {} WHERE {}", child, set_null, references_deleted)
                                      : fmt::format("DELETE FROM {} AS c WHERE {}", child, references_deleted);
        return;
    }
    fk.children_sql = fmt::format("SELECT {}, {} FROM {} AS c WHERE {}", key_expression(*fk.synced_child, "c"),
                                  reference, child, references_deleted);
    // One lookup per applied child row: its reference, the parent's row and tombstone.
    fk.orphaned_sql = fmt::format(
        "SELECT {2} FROM {0} AS c WHERE {1} AND {2} IS NOT NULL AND {3} AND EXISTS (SELECT 1 FROM _tombstone WHERE "
        "tableName = ?2 AND recordId = {2})",
        child, key_match(*fk.synced_child, "c", "?1"), reference, parent_gone);
    fk.set_null_sql = fmt::format("UPDATE {} AS c SET {} WHERE {}", child, set_null, key_match(*fk.synced_child, "c", "?1"));
}

std::vector<std::string> ForeignKeyRepair::parent_tables() const {
    std::vector<std::string> out;
    for (const auto& fk : keys_) out.push_back(fk.parent->name);
    return out;
}

std::vector<std::string> ForeignKeyRepair::synced_child_tables() const {
    std::vector<std::string> out;
    for (const auto& fk : keys_)
        if (fk.synced_child) out.push_back(fk.synced_child->name);
    return out;
}

void ForeignKeyRepair::repair(RecordStore& records) {
    if (keys_.empty()) return;
    // Repairs delete keys too, whose children are repaired in turn; a
    // deletion only removes rows, so this ends.
    for (auto events = records.take_events(); !events.empty(); events = records.take_events()) {
        // One query per foreign key for all of a parent table's deleted keys
        // (its columns may have no index: one scan, not one per key).
        std::map<const TableInfo*, std::vector<std::string>> deleted;
        for (const auto& [table, key] : events.deleted) deleted[table].push_back(key);
        for (const auto& [parent, keys] : deleted) {
            connection_.exec("DELETE FROM temp._nas_sync_deleted_parents");
            {
                auto add = cache_.use("INSERT OR IGNORE INTO temp._nas_sync_deleted_parents VALUES (?)");
                for (const auto& key : keys) add->bind(1, key).run();
            }
            for (const auto& fk : keys_)
                if (fk.parent == parent) repair_children_of_deleted(fk, records);
        }
        for (const auto& [table, key] : events.applied)
            for (const auto& fk : keys_)
                if (fk.synced_child == table) repair_child(fk, key, records);
    }
}

void ForeignKeyRepair::repair_children_of_deleted(const ForeignKey& fk, RecordStore& records) {
    if (fk.synced_child) {
        std::vector<std::pair<std::string, std::string>> children;  // (child key, parent key)
        {
            auto s = cache_.use(fk.children_sql);
            while (s->step())
                if (!s->is_null(0)) children.emplace_back(s->text(0), s->text(1));
        }
        for (const auto& [key, parent_key] : children)
            act_on_synced_child(fk, key, records.state(*fk.parent, parent_key).version, records);
        return;
    }
    cache_.use(fk.unsynced_sql)->run();
    if (const auto changed = sqlite3_changes(connection_.handle()))
        repaired_[fmt::format("row(s) of '{}' (not synced) {}: their '{}' was deleted by a peer (ON DELETE {})", fk.child,
                              fk.set_null ? "had their reference set to NULL" : "deleted", fk.parent->name,
                              fk.on_delete)] += changed;
}

void ForeignKeyRepair::repair_child(const ForeignKey& fk, const std::string& child_key, RecordStore& records) {
    std::string parent_key;
    {
        auto orphaned = cache_.use(fk.orphaned_sql);
        orphaned->bind(1, child_key).bind(2, fk.parent->name);
        if (!orphaned->step()) return;  // its parent is here, or may yet arrive
        parent_key = orphaned->text(0);
    }
    act_on_synced_child(fk, child_key, records.state(*fk.parent, parent_key).version, records);
}

// The repair's version is just after both the child's state and the
// parent's deletion: not the clock's, so every client repairing the same
// child makes the same version, and a later edit of the child (moved to
// another parent) still wins.
void ForeignKeyRepair::act_on_synced_child(const ForeignKey& fk, const std::string& child_key,
                                           const Version& parent_deletion, RecordStore& records) {
    const TableInfo& table = *fk.synced_child;
    const RecordState before = records.state(table, child_key);
    if (before.kind != RecordState::Kind::row) return;
    const Version after = std::max(before.version, parent_deletion);
    if (fk.set_null) {
        cache_.use(fk.set_null_sql)->bind(1, child_key).run();
        records.record_update_as_local_change(table, child_key, after);
    } else {
        records.delete_as_local_change(table, child_key, after, RecordStore::Stamp::after_removed);
    }
    repaired_[fmt::format("row(s) of '{}' {}: their '{}' was deleted (ON DELETE {})", table.name,
                          fk.set_null ? "had their reference set to NULL" : "deleted", fk.parent->name,
                          fk.on_delete)] += 1;
}

std::vector<std::string> ForeignKeyRepair::take_notes() {
    std::vector<std::string> notes;
    for (const auto& [note, rows] : repaired_) notes.push_back(fmt::format("{} {}", rows, note));
    repaired_.clear();
    return notes;
}

}  // namespace nas_sync
