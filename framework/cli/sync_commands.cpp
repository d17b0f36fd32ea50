// `sync`, `status` and `adopt-share` (`run`: run_command.cpp).
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/progress_reporter.hpp"
#include "cli/sync_output.hpp"
#include "engine/peer/work_folder.hpp"
#include "host/result_json.hpp"
#include "nas_sync/client.hpp"

namespace nas_sync::cli {
using nlohmann::json;

namespace {

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
