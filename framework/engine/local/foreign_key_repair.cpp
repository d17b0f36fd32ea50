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

// The parent's primary key columns, in key order (a foreign key that names none references them).
std::vector<std::string> primary_key_of(const TableInfo& table) {
    std::vector<std::string> key;
    for (int position = 1;; ++position) {
        const auto c = std::find_if(table.columns.begin(), table.columns.end(),
                                    [&](const ColumnSchema& column) { return column.primary_key_position == position; });
        if (c == table.columns.end()) return key;
        key.push_back(c->name);
    }
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
        if (listed.to.front().empty()) listed.to = primary_key_of(*parent);
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
        keys_.push_back({listed.child, synced_child, parent, std::move(reference), listed.on_delete, set_null, {}, {}, {}, {}, {}});
        prepare_sql(keys_.back());
    }
}

void ForeignKeyRepair::prepare_sql(ForeignKey& fk) const {
    const std::string parent = quote_identifier(fk.parent->name), child = quote_identifier(fk.child);
    const std::string referencing = key_match(fk.reference, "c", "?1");
    fk.parent_exists_sql =
        fmt::format("SELECT EXISTS (SELECT 1 FROM {} AS p WHERE {})", parent, key_match(*fk.parent, "p", "?1"));
    std::string set_null;
    for (const auto& column : fk.reference.key_columns)
        set_null += (set_null.empty() ? "" : ", ") + quote_identifier(column) + " = NULL";
    if (!fk.synced_child) {
        fk.unsynced_sql = fk.set_null ? fmt::format("UPDATE {} AS c SET {} WHERE {}", child, set_null, referencing)
                                      : fmt::format("DELETE FROM {} AS c WHERE {}", child, referencing);
        return;
    }
    fk.children_sql =
        fmt::format("SELECT {} FROM {} AS c WHERE {}", key_expression(*fk.synced_child, "c"), child, referencing);
    // One lookup per applied child row: its reference, the parent's row and tombstone.
    const std::string reference = key_expression(fk.reference, "c");
    fk.orphaned_sql = fmt::format(
        "SELECT EXISTS (SELECT 1 FROM {0} AS c WHERE {1} AND {2} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {3} AS p "
        "WHERE {4}) AND EXISTS (SELECT 1 FROM _tombstone WHERE tableName = ?2 AND recordId = {2}))",
        child, key_match(*fk.synced_child, "c", "?1"), reference, parent, key_match(*fk.parent, "p", reference));
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
        for (const auto& [table, key] : events.deleted)
            for (const auto& fk : keys_)
                if (fk.parent == table) repair_children_of(fk, key, records);
        for (const auto& [table, key] : events.applied)
            for (const auto& fk : keys_)
                if (fk.synced_child == table) repair_child(fk, key, records);
    }
}

void ForeignKeyRepair::repair_children_of(const ForeignKey& fk, const std::string& parent_key, RecordStore& records) {
    {
        auto exists = cache_.use(fk.parent_exists_sql);
        exists->bind(1, parent_key);
        if (exists->step() && exists->integer(0) != 0) return;
    }
    if (fk.synced_child) {
        std::vector<std::string> children;
        {
            auto s = cache_.use(fk.children_sql);
            s->bind(1, parent_key);
            while (s->step())
                if (!s->is_null(0)) children.push_back(s->text(0));
        }
        for (const auto& key : children) act_on_synced_child(fk, key, records);
        return;
    }
    cache_.use(fk.unsynced_sql)->bind(1, parent_key).run();
    if (const auto changed = sqlite3_changes(connection_.handle()))
        repaired_[fmt::format("row(s) of '{}' (not synced) {}: their '{}' was deleted by a peer (ON DELETE {})", fk.child,
                              fk.set_null ? "had their reference set to NULL" : "deleted", fk.parent->name,
                              fk.on_delete)] += changed;
}

void ForeignKeyRepair::repair_child(const ForeignKey& fk, const std::string& child_key, RecordStore& records) {
    {
        auto orphaned = cache_.use(fk.orphaned_sql);
        orphaned->bind(1, child_key).bind(2, fk.parent->name);
        if (!orphaned->step() || orphaned->integer(0) == 0) return;  // its parent is here, or may yet arrive
    }
    act_on_synced_child(fk, child_key, records);
}

void ForeignKeyRepair::act_on_synced_child(const ForeignKey& fk, const std::string& child_key, RecordStore& records) {
    const TableInfo& table = *fk.synced_child;
    const RecordState before = records.state(table, child_key);
    if (before.kind != RecordState::Kind::row) return;
    if (fk.set_null) {
        cache_.use(fk.set_null_sql)->bind(1, child_key).run();
        records.record_update_as_local_change(table, child_key, before.version);
    } else {
        records.delete_as_local_change(table, child_key, before.version);
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
