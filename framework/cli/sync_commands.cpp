// `sync`, `run` and `status`: the commands that sync.
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "cli/commands.hpp"
#include "cli/metrics_server.hpp"
#include "cli/progress_reporter.hpp"
#include "engine/peer/work_folder.hpp"
#include "host/result_json.hpp"
#include "nas_sync/client.hpp"

namespace nas_sync::cli {
using nlohmann::json;

namespace {

void print_result(const SyncResult& r) {
    std::cout << fmt::format(
        "synced with {} peer(s): {} inserted, {} updated, {} deleted, {} skipped, {} conflict(s) resolved; "
        "{} bytes published, {} fetched, {} ms{}\n",
        r.clients_synced, r.inserted, r.updated, r.deleted, r.skipped, r.conflicts_resolved, r.bytes_published,
        r.bytes_fetched, r.duration_ms, r.had_changelog_gap ? " (change-log gap: full merge)" : "");
    for (const auto& s : r.skipped_remotes)
        std::cout << fmt::format("skipped peer '{}': schema version {} differs from ours ({})\n", s.client,
                                 s.remote_schema_version.empty() ? "(none)" : s.remote_schema_version,
                                 s.local_schema_version);
    for (const auto& w : r.warnings) std::cout << "warning: " << w << "\n";
}

// The warnings of a sync that the sync before did not have: `run` says a
// warning once, and again only after it went away.
class RepeatFilter {
public:
    std::vector<std::string> new_ones(const std::vector<std::string>& warnings) {
        std::vector<std::string> fresh;
        for (const auto& w : warnings)
            if (!said_.count(w)) fresh.push_back(w);
        said_ = std::set<std::string>(warnings.begin(), warnings.end());
        return fresh;
    }

private:
    std::set<std::string> said_;
};

// While a command that syncs runs: SIGINT, SIGTERM or SIGHUP remove its work
// folders (copies of peers' data in the temporary folder) and end the process
// at once, with status 128 + the signal. The local database stays valid, as
// after any kill: the next sync redoes what this one did not finish.
class InterruptCleanup {
public:
    InterruptCleanup() {
        sigemptyset(&signals_);
        for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&signals_, s);
        pthread_sigmask(SIG_BLOCK, &signals_, nullptr);  // before any other thread starts: all inherit it
        watcher_ = std::thread([this] {
            const timespec tick{0, 100'000'000};
            while (!done_) {
                const int signal = sigtimedwait(&signals_, nullptr, &tick);
                if (signal <= 0) continue;
                remove_work_folders_now();
                std::cerr << "nas-sync: interrupted (signal " << signal
                          << "); nothing is lost: the next sync redoes what this one did not finish\n";
                std::_Exit(128 + signal);
            }
        });
    }
    ~InterruptCleanup() {
        done_ = true;
        watcher_.join();
    }
    InterruptCleanup(const InterruptCleanup&) = delete;
    InterruptCleanup& operator=(const InterruptCleanup&) = delete;

private:
    sigset_t signals_;
    std::atomic<bool> done_{false};
    std::thread watcher_;
};

}  // namespace

int sync_command(const GlobalOptions& global, const SyncOptions& options) {
    const InterruptCleanup on_interrupt;
    SyncClient client(load_pipeline_file(global.config));
    client.wait_for_other_syncs(options.wait);
    ProgressReporter progress(parse_progress_mode(options.progress), std::cerr, ::isatty(STDERR_FILENO) != 0);
    client.on_progress([&](const SyncProgress& p) { progress.report(p); });
    progress.sync_started();
    SyncResult result;
    try {
        result = client.sync_now();
    } catch (...) {
        progress.sync_ended();
        throw;
    }
    progress.sync_ended();
    if (global.json)
        std::cout << result_json(result).dump() << "\n";
    else
        print_result(result);
    return 0;
}

int run_command(const GlobalOptions& global, const SyncOptions& options) {
    // SIGINT, SIGTERM and SIGHUP (the terminal went away) are taken by
    // sigwait below, in this thread only: they end the loop gracefully.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    SyncClient client(load_pipeline_file(global.config));
    client.wait_for_other_syncs(options.wait);
    SyncMetrics metrics;
    std::optional<MetricsServer> metrics_server;
    if (!options.metrics.empty()) metrics_server.emplace(options.metrics, metrics);
    std::mutex out;
    RepeatFilter warnings;
    auto emit = [&](const json& event) {
        std::lock_guard lock(out);
        std::cout << event.dump() << std::endl;
    };
    ProgressReporter progress(parse_progress_mode(options.progress), std::cerr, ::isatty(STDERR_FILENO) != 0);
    client.on_progress([&](const SyncProgress& p) { progress.report(p); });
    client.on_start([&] {
        progress.sync_started();
        if (global.json) emit({{"event", "start"}});
    });
    client.on_complete([&](const SyncResult& result) {
        progress.sync_ended();
        metrics.sync_succeeded(result);
        SyncResult r = result;
        r.warnings = warnings.new_ones(result.warnings);  // each said once, again only after a sync without it
        if (global.json) {
            json e = result_json(r);
            e["event"] = "complete";
            emit(e);
        } else {
            std::lock_guard lock(out);
            print_result(r);
            std::cout.flush();  // a line per sync as it ends, also into a log file
        }
    });
    client.on_error([&](const std::string& message) {
        progress.sync_ended();
        metrics.sync_failed();
        if (global.json)
            emit({{"event", "error"}, {"message", message}});
        else
            std::cerr << "nas-sync: sync failed: " << message << std::endl;
    });
    client.on_conflict([&](const ConflictEvent& c) {
        if (global.json)
            emit({{"event", "conflict"}, {"table", c.table}, {"key", c.key}, {"peer", c.peer},
                  {"resolution", c.resolution}, {"resolver", c.resolver}});
    });
    client.start();
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    try {
        client.stop();  // finishes the sync in flight, then one last sync
    } catch (const std::exception&) {
        return 1;  // reported by on_error
    }
    return 0;
}

int adopt_share_command(const GlobalOptions& global) {
    const InterruptCleanup on_interrupt;
    const auto config = load_pipeline_file(global.config);
    SyncClient client(config);
    const std::string id = client.adopt_share();
    if (global.json)
        std::cout << json{{"client_id", config.client_id}, {"share_id", id}}.dump() << "\n";
    else
        std::cout << fmt::format("client {} now syncs with the share whose marker has id {}\n", config.client_id, id);
    return 0;
}

int status_command(const GlobalOptions& global) {
    const InterruptCleanup on_interrupt;
    SyncClient client(load_pipeline_file(global.config));
    const Status s = client.status();
    if (global.json) {
        json peers = json::array();
        for (const auto& p : s.peers)
            peers.push_back({{"client", p.client},
                             {"last_publish", fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(p.last_publish)))},
                             {"object_size", p.object_size},
                             {"unread_changes", p.unread_changes},
                             {"never_read", p.never_read},
                             {"schema_mismatch", p.schema_mismatch},
                             {"schema_version", p.schema_version},
                             {"retired", p.retired}});
        std::cout << json{{"client_id", s.client_id},
                          {"share", s.share},
                          {"schema_version", s.schema_version},
                          {"unpublished_changes", s.unpublished_changes},
                          {"peers", peers},
                          {"warnings", s.warnings}}
                         .dump(2)
                  << "\n";
        return 0;
    }
    std::cout << fmt::format("client {} (schema version {}), {} change(s) not yet published\nshare  {}\n", s.client_id,
                             s.schema_version, s.unpublished_changes, s.share);
    for (const auto& p : s.peers)
        std::cout << fmt::format("  {:<24} published {:%Y-%m-%d %H:%M:%S} UTC  {:>10} bytes  {}{}\n", p.client,
                                 fmt::gmtime(std::chrono::system_clock::to_time_t(p.last_publish)), p.object_size,
                                 p.never_read ? "never read: full merge next" : fmt::format("{} unread change(s)", p.unread_changes),
                                 p.schema_mismatch ? fmt::format("  SCHEMA MISMATCH ({})", p.schema_version)
                                 : p.retired       ? std::string("  retired (silent too long)")
                                                   : std::string());
    for (const auto& w : s.warnings) std::cout << "warning: " << w << "\n";
    return 0;
}

}  // namespace nas_sync::cli
