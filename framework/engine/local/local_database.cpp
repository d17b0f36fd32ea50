#include "engine/local/local_database.hpp"

#include "database/schema.hpp"
#include "database/statement.hpp"
#include "engine/local/internal_tables.hpp"
#include "engine/local/published_copies.hpp"

namespace nas_sync {

namespace {
std::vector<TableInfo> with_heartbeat(std::vector<TableInfo> tables) {
    tables.push_back(heartbeat_table());
    return tables;
}
}  // namespace

LocalDatabase::LocalDatabase(const std::filesystem::path& file, std::vector<TableInfo> tables,
                             const std::string& client_id)
    : tables_(with_heartbeat(std::move(tables))),
      connection_(file),
      bookkeeping_(connection_.handle()),
      peers_(connection_.handle()),
      conflicts_(connection_.handle()),
      digests_(connection_.handle()),
      records_(connection_, tables_, digests_, origin_digest(client_id)),
      changes_(connection_, bookkeeping_, peers_, records_, tables_),
      foreign_keys_(connection_, tables_) {
    records_.watch(foreign_keys_.parent_tables(), foreign_keys_.synced_child_tables());
    connection_.on_commit([this] { digests_.flush(); }, [this] { digests_.discard(); });
}

void LocalDatabase::install() {
    WriteTransaction tx(connection_);
    connection_.exec(internal_tables_sql);
    upgrade_internal_tables(connection_.handle());
    Statement existing(connection_.handle(), "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?");
    for (const auto& table : tables_) {
        for (const std::string operation : {"insert", "update", "delete"}) {
            if (table.name == heartbeat_table_name && operation == "delete") continue;
            const std::string wanted = trigger_sql(operation, table);
            existing.bind(1, trigger_name(operation, table.name));
            const bool same = existing.step() && existing.text(0) == wanted;
            existing.reset();
            if (same) continue;
            connection_.exec("DROP TRIGGER IF EXISTS " + quote_identifier(trigger_name(operation, table.name)));
            connection_.exec(wanted);
        }
        // Rows and tombstones that were there before we synced the table have no
        // change-log entry; their versions are recorded once, so a later local change
        // is made newer than them like any other.
        records_.record_baseline(table, bookkeeping_);
        if (table.name != heartbeat_table_name) digests_.ensure(table.name);
    }
    tx.commit();
}

void LocalDatabase::begin_apply() {
    connection_.applying() = true;
    changes_.begin_apply();
    records_.begin_apply();
}

void LocalDatabase::end_apply() {
    records_.end_apply();
    foreign_keys_.repair(records_);
    changes_.end_apply(records_.take_local_changes());
    bookkeeping_.increment(StateKey::apply_generation);
    connection_.applying() = false;
}

void LocalDatabase::abort_apply() {
    connection_.applying() = false;
    records_.abort_apply();
    foreign_keys_.take_notes();  // rolled back with the rest
}

void LocalDatabase::write_copy(const std::filesystem::path& copy) {
    write_database_copy(connection_, tables_, copy);
}

void LocalDatabase::write_segment(std::int64_t from, std::int64_t to, const std::string& schema_version,
                                  const std::filesystem::path& file) {
    nas_sync::write_segment(connection_, tables_, from, to, schema_version, file);
}

}  // namespace nas_sync
