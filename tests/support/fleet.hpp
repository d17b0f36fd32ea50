// A fleet of real clients for engine tests: one real folder as the share
// (reached by `fs`, or by `smb` through smbd: share_folder.hpp), one real
// SQLite file and one SyncClient per client, built in code.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fault_injecting_transport.hpp"
#include "nas_sync/client.hpp"
#include "share_folder.hpp"
#include "test_support.hpp"

namespace nas_sync::test {

// The users table most engine tests sync.
inline constexpr const char* users_schema =
    "CREATE TABLE users(id TEXT PRIMARY KEY, name TEXT, email TEXT, updatedAt TEXT);";

struct ClientOptions {
    std::vector<PluginSection> resolvers{{.plugin = "lww", .key = "resolvers[0]"}};
    std::string schema_version = "auto";
    std::chrono::milliseconds retention{std::chrono::hours(24 * 7)};
    bool heartbeat = true;
    bool inject_faults = false;  // each client's transport wrapped in a FaultInjectingTransport
    ExchangeLayout exchange = ExchangeLayout::snapshot;
    JournalOptions journal;
    std::chrono::milliseconds merged_publish_every{std::chrono::minutes(10)};
    // The share every client uses; unset: Fleet::share() through the transport
    // NAS_SYNC_TEST_SHARE names (`fs` by default, see share_folder.hpp), or
    // with NAS_SYNC_TEST_SHARE=nats a fresh bucket on this process's
    // nats-server (tests that reach into Fleet::share() do not apply then).
    std::optional<PluginSection> transport;
    std::optional<PluginSection> discovery;  // unset: auto
};

class Fleet {
public:
    // Creates each client's database with `schema_sql`.
    Fleet(const std::vector<std::string>& ids, const std::string& schema_sql, ClientOptions options = {});

    // The share's folder (under dir/nas, or under the smbd's share).
    const std::filesystem::path& share() const { return share_.path(); }
    std::filesystem::path database(const std::string& id) const { return dir_ / (id + ".sqlite"); }
    PipelineConfig config(const std::string& id) const;

    // Runs SQL on a client's database as its application would (own connection,
    // foreign keys on).
    void write(const std::string& id, const std::string& sql);
    SyncClient& client(const std::string& id);
    // The fault injector around a client's transport (inject_faults must be on).
    FaultInjectingTransport& faults(const std::string& id);
    SyncResult sync(const std::string& id);
    // Ends a client as its process would (the next use starts it again).
    void close(const std::string& id);
    // Every client syncs, `rounds` times, in the order given.
    void sync_all(int rounds = 2);

    // {table: [rows sorted by id, else by every column]} of the application's
    // tables, and of the tables `also` names though they start with '_'.
    nlohmann::json dump(const std::string& id, const std::vector<std::string>& also = {});
    const std::vector<std::string>& ids() const { return ids_; }

private:
    TempDir dir_;
    ShareFolder share_{dir_ / "nas"};
    std::vector<std::string> ids_;
    ClientOptions options_;
    std::map<std::string, std::unique_ptr<SyncClient>> clients_;
    std::map<std::string, std::shared_ptr<FaultInjectingTransport>> faults_;
};

// The canonical dump of a database file: every table not starting with '_'
// or 'sqlite_' (and those `also` names), rows sorted by `id` (else by every
// column), as JSON.
nlohmann::json dump_database(const std::filesystem::path& file, const std::vector<std::string>& also = {});

}  // namespace nas_sync::test
