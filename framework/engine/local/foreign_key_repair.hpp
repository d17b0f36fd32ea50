// Foreign keys after applying peers' states. Rows are applied with
// enforcement off (parents and children arrive in any order), so the
// schema's ON DELETE actions are applied here, at the end of each write
// transaction, by one rule every client follows (docs/guarantees.md,
// "Foreign keys"):
//   - a synced parent's key deleted (or learned deleted) while applying:
//     its children in every table get the ON DELETE action (CASCADE,
//     RESTRICT, NO ACTION and SET DEFAULT delete them, SET NULL empties
//     their foreign-key columns, or deletes them where a column is NOT NULL
//     or part of their key);
//   - a synced child row applied whose parent is absent and deleted (a
//     tombstone): the same action;
//   - a parent absent and unknown (not arrived yet) leaves the child alone.
// Synced children changed so are our changes (logged: they spread, and
// repeat the rule on recursion), versioned just after the child's state and
// the parent's deletion so that every client makes the same version; rows of
// tables not synced are changed by SQL, one level.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "database/statement.hpp"
#include "engine/local/connection.hpp"
#include "engine/local/record_store.hpp"
#include "engine/tables/synced_table.hpp"

namespace nas_sync {

class ForeignKeyRepair {
public:
    // Reads every foreign key of the database that references a synced
    // table's key columns.
    ForeignKeyRepair(Connection& connection, const std::vector<TableInfo>& tables);

    // The tables RecordStore::watch() needs to report on.
    std::vector<std::string> parent_tables() const;
    std::vector<std::string> synced_child_tables() const;

    // Applies the rule to what the transaction deleted and applied (taken
    // from `records` until repairs make no more), inside it.
    void repair(RecordStore& records);
    // What was repaired since the last take, one line per foreign key and action.
    std::vector<std::string> take_notes();

private:
    struct ForeignKey {
        std::string child;                  // the referencing table, synced or not
        const TableInfo* synced_child;      // nullptr when it is not synced
        const TableInfo* parent;
        TableInfo reference;                // parent's name, the child's columns in the parent's key order
        std::string on_delete;              // as PRAGMA foreign_key_list says it
        bool set_null;                      // SET NULL, and every column may be NULL
        // Made once (a repair runs for every child row applied):
        // Of the keys in temp._nas_sync_deleted_parents whose row is gone:
        std::string children_sql;           // the synced child's keys and references to them
        std::string orphaned_sql;           // the parent key of child ?1 when that parent is absent and deleted
        std::string unsynced_sql;           // DELETE or UPDATE of the unsynced child's rows referencing them
        std::string set_null_sql;           // the synced child ?1's reference set to NULL
    };
    void prepare_sql(ForeignKey& fk) const;
    void repair_children_of_deleted(const ForeignKey& fk, RecordStore& records);
    void repair_child(const ForeignKey& fk, const std::string& child_key, RecordStore& records);
    void act_on_synced_child(const ForeignKey& fk, const std::string& child_key, const Version& parent_deletion,
                             RecordStore& records);

    Connection& connection_;
    StatementCache cache_;
    std::vector<ForeignKey> keys_;
    std::map<std::string, std::int64_t> repaired_;  // what was done -> how many rows
};

}  // namespace nas_sync
