#include "fleet.hpp"

#include <SQLiteCpp/Statement.h>

#include <algorithm>

#include "nats_server.hpp"

namespace nas_sync::test {
namespace fs = std::filesystem;

Fleet::Fleet(const std::vector<std::string>& ids, const std::string& schema_sql, ClientOptions options)
    : ids_(ids), options_(std::move(options)) {
    if (!options_.transport && share_.access() == ShareAccess::nats)
        options_.transport = nats_section({process_nats_server().url()}, fresh_bucket("fleet"));
    for (const auto& id : ids) create_database(database(id), schema_sql);
}

PipelineConfig Fleet::config(const std::string& id) const {
    PipelineConfig c;
    c.client_id = id;
    c.database = database(id);
    c.base_dir = dir_.path();
    c.transport = options_.transport ? *options_.transport : share_transport(share(), share_.access());
    if (options_.discovery) c.discovery = *options_.discovery;
    c.resolvers = options_.resolvers;
    c.schema_version = options_.schema_version;
    c.changelog_retention = options_.retention;
    c.heartbeat = options_.heartbeat;
    c.exchange = options_.exchange;
    c.journal = options_.journal;
    c.merged_publish_every = options_.merged_publish_every;
    return c;
}

void Fleet::write(const std::string& id, const std::string& sql) {
    SQLite::Database db(database(id).string(), SQLite::OPEN_READWRITE);
    db.setBusyTimeout(10000);
    db.exec("PRAGMA foreign_keys = ON");
    db.exec(sql);
}

SyncClient& Fleet::client(const std::string& id) {
    auto& slot = clients_[id];
    if (slot) return *slot;
    TransportWrapper wrap;
    if (options_.inject_faults)
        wrap = [this, id](std::shared_ptr<Transport> real) {
            return faults_[id] = std::make_shared<FaultInjectingTransport>(std::move(real));
        };
    slot = std::make_unique<SyncClient>(config(id), wrap);
    return *slot;
}

FaultInjectingTransport& Fleet::faults(const std::string& id) {
    client(id);
    if (!faults_.count(id)) throw std::logic_error("Fleet: inject_faults is off");
    return *faults_.at(id);
}

SyncResult Fleet::sync(const std::string& id) { return client(id).sync_now(); }

void Fleet::close(const std::string& id) { clients_.erase(id); }

void Fleet::sync_all(int rounds) {
    for (int r = 0; r < rounds; ++r)
        for (const auto& id : ids_) sync(id);
}

nlohmann::json Fleet::dump(const std::string& id, const std::vector<std::string>& also) {
    return dump_database(database(id), also);
}

nlohmann::json dump_database(const fs::path& file, const std::vector<std::string>& also) {
    SQLite::Database db(file.string(), SQLite::OPEN_READONLY);
    nlohmann::json out = nlohmann::json::object();
    SQLite::Statement tables(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
                                 "ESCAPE '\\' ORDER BY name");
    while (tables.executeStep()) {
        const std::string table = tables.getColumn(0).getString();
        if (table.starts_with("_") && std::find(also.begin(), also.end(), table) == also.end()) continue;
        std::string quoted = "\"";
        for (char c : table) quoted += (c == '"') ? std::string("\"\"") : std::string(1, c);
        quoted += "\"";
        // By id, else by every column: rowids differ between clients.
        bool has_id = false;
        std::string every_column;
        SQLite::Statement columns(db, "SELECT name FROM pragma_table_info(?)");
        columns.bind(1, table);
        for (int i = 1; columns.executeStep(); ++i) {
            has_id = has_id || columns.getColumn(0).getString() == "id";
            every_column += (i > 1 ? ", " : "") + std::to_string(i);
        }
        SQLite::Statement rows(db, "SELECT * FROM " + quoted + " ORDER BY " + (has_id ? "id" : every_column));
        nlohmann::json list = nlohmann::json::array();
        while (rows.executeStep()) {
            nlohmann::json row = nlohmann::json::object();
            for (int i = 0; i < rows.getColumnCount(); ++i) {
                const auto c = rows.getColumn(i);
                const std::string name = rows.getColumnName(i);
                if (c.isNull())
                    row[name] = nullptr;
                else if (c.isInteger())
                    row[name] = c.getInt64();
                else if (c.isFloat())
                    row[name] = c.getDouble();
                else
                    row[name] = c.getString();
            }
            list.push_back(row);
        }
        out[table] = list;
    }
    return out;
}

}  // namespace nas_sync::test
