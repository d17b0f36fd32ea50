// SyncClient: the engine behind the library API and the sync/run/status commands.
#include <fmt/format.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "database/schema.hpp"
#include "engine/local_database.hpp"
#include "engine/schema_version.hpp"
#include "engine/journal_exchange.hpp"
#include "engine/snapshot_exchange.hpp"
#include "host/loaded_pipeline.hpp"
#include "nas_sync/client.hpp"

namespace nas_sync {

struct SyncClient::Impl {
    Impl(PipelineConfig config, const TransportWrapper& wrap) : pipeline(std::move(config), wrap) {}

    LoadedPipeline pipeline;
    std::vector<TableInfo> tables;
    std::vector<std::string> discovery_warnings;
    std::string schema_version;
    std::unique_ptr<LocalDatabase> db;

    std::function<void()> on_start;
    std::function<void(const SyncResult&)> on_complete;
    std::function<void(const std::string&)> on_error;
    std::function<void(const ConflictEvent&)> on_conflict;

    std::mutex sync_mutex;  // one sync at a time
    std::mutex loop_mutex;
    std::condition_variable wake;
    bool stopping = false;
    std::thread loop;

    // Ends the background loop after the sync in flight; false when none ran.
    bool stop_loop() {
        if (!loop.joinable()) return false;
        {
            std::lock_guard lock(loop_mutex);
            stopping = true;
        }
        wake.notify_all();
        loop.join();
        return true;
    }

    SyncContext context() { return {pipeline, *db, schema_version, on_conflict}; }
    bool journal() const { return pipeline.config().exchange == ExchangeLayout::journal; }
    SyncResult sync() {
        SyncResult result = journal() ? JournalExchange(context()).sync() : SnapshotExchange(context()).sync();
        db->flush_wal();  // what the sync wrote goes to the database file while the application runs
        return result;
    }
    Status status() { return journal() ? JournalExchange(context()).status() : SnapshotExchange(context()).status(); }
};

SyncClient::SyncClient(PipelineConfig config, const TransportWrapper& wrap_transport)
    : impl_(std::make_unique<Impl>(std::move(config), wrap_transport)) {
    const auto& cfg = impl_->pipeline.config();
    {
        auto read_only = open_database_read_only(cfg.database);
        impl_->tables = impl_->pipeline.discover_tables(read_only, impl_->discovery_warnings);
    }
    impl_->schema_version = cfg.schema_version == "auto" ? auto_schema_version(impl_->tables) : cfg.schema_version;
    impl_->db = std::make_unique<LocalDatabase>(cfg.database, impl_->tables);
    impl_->db->install();
}

SyncClient::~SyncClient() { impl_->stop_loop(); }

SyncResult SyncClient::sync_now() {
    std::lock_guard lock(impl_->sync_mutex);
    if (impl_->on_start) impl_->on_start();
    try {
        SyncResult result = impl_->sync();
        result.warnings.insert(result.warnings.begin(), impl_->discovery_warnings.begin(),
                               impl_->discovery_warnings.end());
        if (impl_->on_complete) impl_->on_complete(result);
        return result;
    } catch (const std::exception& e) {
        if (impl_->on_error) impl_->on_error(e.what());
        throw;
    }
}

void SyncClient::start() {
    if (impl_->loop.joinable()) return;
    impl_->stopping = false;
    impl_->loop = std::thread([this] {
        std::unique_lock lock(impl_->loop_mutex);
        while (!impl_->stopping) {
            lock.unlock();
            try {
                sync_now();
            } catch (const std::exception&) {
                // reported through on_error; the next round tries again
            }
            lock.lock();
            impl_->wake.wait_for(lock, impl_->pipeline.config().interval, [this] { return impl_->stopping; });
        }
    });
}

void SyncClient::stop() {
    if (!impl_->stop_loop()) return;
    sync_now();  // one last sync, so what was written before stop() goes out
}

Status SyncClient::status() {
    std::lock_guard lock(impl_->sync_mutex);
    Status s = impl_->status();
    s.warnings.insert(s.warnings.begin(), impl_->discovery_warnings.begin(), impl_->discovery_warnings.end());
    return s;
}

std::vector<SyncedTable> SyncClient::synced_tables() const {
    std::vector<SyncedTable> out;
    for (const auto& t : impl_->tables) out.push_back({t.name, t.primary_key, t.timestamp_column});
    return out;
}

void SyncClient::on_start(std::function<void()> callback) { impl_->on_start = std::move(callback); }
void SyncClient::on_complete(std::function<void(const SyncResult&)> callback) { impl_->on_complete = std::move(callback); }
void SyncClient::on_error(std::function<void(const std::string&)> callback) { impl_->on_error = std::move(callback); }
void SyncClient::on_conflict(std::function<void(const ConflictEvent&)> callback) { impl_->on_conflict = std::move(callback); }

}  // namespace nas_sync
