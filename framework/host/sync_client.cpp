// SyncClient: the engine behind the library API and the sync/run/status
// commands. It loads the pipeline's plugins (LoadedPipeline), discovers the
// tables, opens our database, and builds the exchange the pipeline names,
// once; every sync and status goes through that exchange. It calls the
// pipeline's hooks: start, then the sync's conflicts once its merge is done
// (never inside a transaction of ours), then complete or error.
#include <fmt/format.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "database/schema.hpp"
#include "engine/exchange/exchange.hpp"
#include "engine/fleet/fleet_verification.hpp"
#include "engine/local/local_database.hpp"
#include "engine/peer/work_folder.hpp"
#include "engine/tables/schema_version.hpp"
#include "host/loaded_pipeline.hpp"
#include "host/result_json.hpp"
#include "host/sync_lock.hpp"
#include "nas_sync/client.hpp"

namespace nas_sync {

namespace {

SyncSettings settings_of(const PipelineConfig& config) {
    return {config.client_id, config.changelog_retention, config.heartbeat, config.journal, config.merged_publish_every,
            config.conflict_log_retention};
}

}  // namespace

struct SyncClient::Impl {
    Impl(PipelineConfig config, const TransportWrapper& wrap) : pipeline(std::move(config), wrap) {}

    LoadedPipeline pipeline;
    std::vector<TableInfo> tables;
    std::vector<std::string> discovery_warnings;
    std::unique_ptr<LocalDatabase> db;
    std::unique_ptr<ShareGuard> guard;
    std::unique_ptr<Exchange> exchange;

    std::function<void()> on_start;
    std::function<void(const SyncResult&)> on_complete;
    std::function<void(const std::string&)> on_error;
    std::function<void(const ConflictEvent&)> on_conflict;
    std::function<void(const SyncProgress&)> on_progress;
    std::vector<ConflictEvent> listed_conflicts;  // of the sync in flight (SyncResult::conflicts)
    std::vector<ConflictEvent> hook_conflicts;    // of the sync in flight, for hooks after its merge
    std::int64_t undelivered_conflicts = 0;       // beyond max_hook_conflicts
    std::vector<std::string> hook_warnings;       // of the sync in flight, told even when it fails

    std::mutex sync_mutex;  // one sync at a time in this process (SyncLock: across processes)
    bool wait_for_other_syncs = false;
    // The client's setup (plugins, discovery, triggers, versions of existing
    // rows), counted in the first sync's duration: the whole of what it cost.
    std::chrono::milliseconds setup_ms{0};
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

    // Calls the hooks that take `kind`; their failures, as warnings.
    std::vector<std::string> run_hooks(SyncEventKind kind, const std::string& json, std::int64_t rows_changed) const {
        if (!pipeline.hooks().wants(kind)) return {};
        const auto& cfg = pipeline.config();
        const std::string database = cfg.database.string();
        return pipeline.hooks().dispatch({kind, cfg.client_id, database, json, rows_changed});
    }

    SyncResult sync() {
        const auto started = std::chrono::steady_clock::now();
        const SyncLock lock(pipeline.config().database, wait_for_other_syncs);
        hook_warnings = run_hooks(SyncEventKind::start, "{}", 0);
        listed_conflicts.clear();
        hook_conflicts.clear();
        undelivered_conflicts = 0;
        SyncResult result = exchange->sync();
        result.conflicts = std::move(listed_conflicts);
        db->connection().flush_wal();  // what the sync wrote goes to the database file while the application runs
        result.duration_ms =
            (std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started) +
             std::exchange(setup_ms, std::chrono::milliseconds(0)))
                .count();
        // The merge is committed: a conflict hook may read or write the database.
        for (const auto& c : hook_conflicts) {
            auto failed = run_hooks(SyncEventKind::conflict, conflict_json(c).dump(), 0);
            hook_warnings.insert(hook_warnings.end(), failed.begin(), failed.end());
        }
        if (undelivered_conflicts > 0)
            hook_warnings.push_back(fmt::format("hooks: {} conflict(s) of this sync were not delivered to conflict hooks "
                                                "(at most {} per sync; `nas-sync conflicts` lists them all)",
                                                undelivered_conflicts, max_hook_conflicts));
        result.warnings.insert(result.warnings.end(), hook_warnings.begin(), hook_warnings.end());
        hook_warnings.clear();
        return result;
    }
};

SyncClient::SyncClient(PipelineConfig config, const TransportWrapper& wrap_transport) {
    const auto started = std::chrono::steady_clock::now();
    impl_ = std::make_unique<Impl>(std::move(config), wrap_transport);
    auto& impl = *impl_;
    const auto& cfg = impl.pipeline.config();
    impl.tables = impl.pipeline.discover_tables(impl.discovery_warnings);
    const std::string schema_version =
        cfg.schema_version == "auto" ? auto_schema_version(impl.tables) : cfg.schema_version;
    impl.db = std::make_unique<LocalDatabase>(cfg.database, impl.tables, cfg.client_id);
    impl.db->install();
    // Conflicts and progress go to whichever callback is set when they happen.
    auto report_conflict = [&impl](const ConflictEvent& e) {
        if (e.table != heartbeat_table_name && impl.listed_conflicts.size() < SyncResult::max_listed_conflicts)
            impl.listed_conflicts.push_back(e);
        if (e.table != heartbeat_table_name && impl.pipeline.hooks().wants(SyncEventKind::conflict)) {
            if (impl.hook_conflicts.size() < max_hook_conflicts)
                impl.hook_conflicts.push_back(e);
            else
                ++impl.undelivered_conflicts;
        }
        if (impl.on_conflict) impl.on_conflict(e);
    };
    auto report_progress = [&impl](const SyncProgress& p) {
        if (impl.on_progress) impl.on_progress(p);
    };
    impl.guard = std::make_unique<ShareGuard>(impl.pipeline.transport(), *impl.db, cfg.client_id);
    impl.exchange = make_exchange(cfg.exchange, {settings_of(cfg), impl.pipeline.transport(), *impl.db,
                                                 impl.pipeline.resolvers(), *impl.guard, schema_version,
                                                 report_conflict, report_progress});
    impl.setup_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
}

SyncClient::~SyncClient() { impl_->stop_loop(); }

SyncResult SyncClient::sync_now() {
    std::lock_guard lock(impl_->sync_mutex);
    impl_->hook_warnings.clear();
    if (impl_->on_start) impl_->on_start();
    try {
        SyncResult result = impl_->sync();
        result.warnings.insert(result.warnings.begin(), impl_->discovery_warnings.begin(),
                               impl_->discovery_warnings.end());
        if (impl_->pipeline.hooks().wants(SyncEventKind::complete)) {  // the JSON only when a hook takes it
            const auto failed = impl_->run_hooks(SyncEventKind::complete, result_json(result).dump(),
                                                 result.inserted + result.updated + result.deleted);
            result.warnings.insert(result.warnings.end(), failed.begin(), failed.end());
        }
        if (impl_->on_complete) impl_->on_complete(result);
        return result;
    } catch (const std::exception& e) {
        // A start hook's failure of this sync has no result to be a warning in: it is told here.
        auto failed = std::exchange(impl_->hook_warnings, {});
        const auto error_failures = impl_->run_hooks(SyncEventKind::error, nlohmann::json{{"error", e.what()}}.dump(), 0);
        failed.insert(failed.end(), error_failures.begin(), error_failures.end());
        if (failed.empty()) {
            if (impl_->on_error) impl_->on_error(e.what());
            throw;
        }
        // The sync's own error stays first; what the error hooks did is told with it, not lost.
        const std::string also = fmt::format("; also {}", fmt::join(failed, "; "));
        if (impl_->on_error) impl_->on_error(e.what() + also);
        if (const auto* config = dynamic_cast<const ConfigError*>(&e))
            throw ConfigError(config->location(), config->key(), config->message() + also);
        if (const auto* error = dynamic_cast<const Error*>(&e)) throw Error(error->code(), e.what() + also);
        throw Error(ErrorCode::internal, e.what() + also);
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
    Status s = impl_->exchange->status();
    s.share = impl_->pipeline.transport().describe();
    s.warnings.insert(s.warnings.begin(), impl_->discovery_warnings.begin(), impl_->discovery_warnings.end());
    return s;
}

FleetVerification SyncClient::verify() {
    std::lock_guard lock(impl_->sync_mutex);
    auto& transport = impl_->pipeline.transport();
    FleetVerification v = verify_fleet(transport);
    for (auto& warning : transport.take_warnings()) v.warnings.push_back(std::move(warning));
    return v;
}

std::string SyncClient::adopt_share() {
    std::lock_guard lock(impl_->sync_mutex);
    const SyncLock other_syncs(impl_->pipeline.config().database, impl_->wait_for_other_syncs);
    const WorkFolder work(impl_->pipeline.config().client_id);
    return impl_->guard->adopt(work);
}

std::vector<SyncedTable> SyncClient::synced_tables() const {
    std::vector<SyncedTable> out;
    for (const auto& t : impl_->tables) out.push_back({t.name, t.key_columns, t.timestamp_column});
    return out;
}

void SyncClient::wait_for_other_syncs(bool wait) { impl_->wait_for_other_syncs = wait; }

void SyncClient::on_start(std::function<void()> callback) { impl_->on_start = std::move(callback); }
void SyncClient::on_complete(std::function<void(const SyncResult&)> callback) { impl_->on_complete = std::move(callback); }
void SyncClient::on_error(std::function<void(const std::string&)> callback) { impl_->on_error = std::move(callback); }
void SyncClient::on_conflict(std::function<void(const ConflictEvent&)> callback) { impl_->on_conflict = std::move(callback); }
void SyncClient::on_progress(std::function<void(const SyncProgress&)> callback) { impl_->on_progress = std::move(callback); }

}  // namespace nas_sync
