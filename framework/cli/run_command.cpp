// `run`: syncs every interval until SIGINT, SIGTERM or SIGHUP, then one last
// sync. Logs a line per sync (log_sink.hpp), and under systemd tells it when
// it is ready, alive and stopping (service_notifier.hpp, loop_watch.hpp).
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <future>
#include <iostream>
#include <mutex>
#include <optional>

#include "cli/commands.hpp"
#include "cli/log_sink.hpp"
#include "cli/loop_watch.hpp"
#include "cli/metrics_server.hpp"
#include "cli/progress_reporter.hpp"
#include "cli/service_notifier.hpp"
#include "cli/sync_output.hpp"
#include "host/result_json.hpp"
#include "host/sync_lock.hpp"
#include "nas_sync/client.hpp"
#include "nas_sync/error.hpp"

namespace nas_sync::cli {
using nlohmann::json;

namespace {

std::string now_utc() {
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
}

// Pings the watchdog while the sync loop is alive; a stuck loop stops the
// pings (and says so once per stuck spell), so that systemd restarts us.
class WatchdogPinger {
public:
    WatchdogPinger(ServiceNotifier& notifier, const LoopWatch& watch, LogSink& log)
        : notifier_(notifier), watch_(watch), log_(log) {}
    // Half the watchdog timeout, as sd_watchdog_enabled(3) recommends (at
    // least a millisecond: a tiny WATCHDOG_USEC must not spin); zero without a watchdog.
    std::chrono::microseconds every() const {
        const auto watchdog = notifier_.watchdog();
        if (watchdog.count() == 0) return watchdog;
        return std::max<std::chrono::microseconds>(watchdog / 2, std::chrono::milliseconds(1));
    }
    void ping_if_alive() {
        if (watch_.alive()) {
            notifier_.watchdog_ping();
            withheld_ = false;
            return;
        }
        if (!withheld_)
            log_.log(LogLevel::error,
                     fmt::format("the sync loop has shown no sign of life for {} ms: no more watchdog pings, "
                                 "systemd will restart the service",
                                 std::chrono::duration_cast<std::chrono::milliseconds>(watch_.silent_for()).count()));
        withheld_ = true;
    }

private:
    ServiceNotifier& notifier_;
    const LoopWatch& watch_;
    LogSink& log_;
    bool withheld_ = false;
};

// Waits for one of `signals`, pinging the watchdog meanwhile. The signal.
int wait_for_signal(const sigset_t& signals, WatchdogPinger& pinger) {
    const auto every = pinger.every();
    if (every.count() == 0) {
        int signal_number = 0;
        sigwait(&signals, &signal_number);
        return signal_number;
    }
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(every);
    const timespec tick{static_cast<time_t>(seconds.count()),
                        static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(every - seconds).count())};
    for (;;) {
        pinger.ping_if_alive();
        const int signal_number = sigtimedwait(&signals, nullptr, &tick);
        if (signal_number > 0) return signal_number;
        if (errno != EAGAIN && errno != EINTR)
            throw Error(ErrorCode::io, fmt::format("waiting for signals: {}", std::strerror(errno)));
    }
}

}  // namespace

int run_command(const GlobalOptions& global, const SyncOptions& options) {
    // SIGINT, SIGTERM and SIGHUP (the terminal went away) are taken by
    // wait_for_signal, in this thread only: they end the loop gracefully.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    LogSink log(parse_log_level(options.log_level), parse_log_format(options.log_format), std::cerr, stderr_is_journal());
    ServiceNotifier notifier(log);
    const PipelineConfig config = load_pipeline_file(global.config);
    const SyncLock one_run(config.database, options.wait, LockScope::run);
    SyncClient client(config);
    client.wait_for_other_syncs(options.wait);
    SyncMetrics metrics;
    std::optional<MetricsServer> metrics_server;
    if (!options.metrics.empty()) metrics_server.emplace(options.metrics, metrics);
    LoopWatch watch(config.interval, notifier.watchdog());
    std::mutex out;
    RepeatFilter warnings, skipped_peers;
    auto emit = [&](const json& event) {
        std::lock_guard lock(out);
        std::cout << event.dump() << std::endl;
    };
    ProgressReporter progress(parse_progress_mode(options.progress), std::cerr, ::isatty(STDERR_FILENO) != 0);
    client.on_progress([&](const SyncProgress& p) {
        watch.sign_of_life();  // a long sync that progresses keeps the watchdog fed
        progress.report(p);
    });
    client.on_start([&] {
        watch.sync_started();
        progress.sync_started();
        log.log(LogLevel::debug, "sync started");
        if (global.json) emit({{"event", "start"}});
    });
    client.on_complete([&](const SyncResult& result) {
        watch.sync_ended();
        progress.sync_ended();
        metrics.sync_succeeded(result);
        SyncResult r = result;
        r.warnings = warnings.new_ones(result.warnings);  // each said once, again only after a sync without it
        log.log(LogLevel::info, result_summary(r), result_counters(r));
        for (const auto& line : skipped_peers.new_ones(skipped_peer_lines(r))) log.log(LogLevel::warning, line);
        for (const auto& w : r.warnings) log.log(LogLevel::warning, w);
        notifier.status(fmt::format("last sync {}: {} peer(s), {} ms", now_utc(), r.clients_synced, r.duration_ms));
        if (global.json) {
            json e = result_json(r);
            e["event"] = "complete";
            emit(e);
        }
    });
    client.on_error([&](const std::string& message) {
        watch.sync_ended();
        progress.sync_ended();
        metrics.sync_failed();
        log.log(LogLevel::error, "sync failed: " + message, {{"error", message}});
        notifier.status(fmt::format("last sync {} failed: {}", now_utc(), message));
        // "error" as in every --json error; "message" as before, for readers of older output
        if (global.json) emit({{"event", "error"}, {"error", message}, {"message", message}});
    });
    client.on_conflict([&](const ConflictEvent& c) {
        log.log(LogLevel::debug,
                fmt::format("conflict in table '{}', key {}, with peer '{}': {} ({})", c.table, c.key, c.peer,
                            c.resolution, c.resolver),
                {{"table", c.table}, {"key", c.key}, {"peer", c.peer}, {"resolution", c.resolution}, {"resolver", c.resolver}});
        if (global.json)
            emit({{"event", "conflict"}, {"table", c.table}, {"key", c.key}, {"peer", c.peer},
                  {"resolution", c.resolution}, {"resolver", c.resolver}});
    });

    // Set up: ready before the first sync, which may be long (a first contact).
    notifier.ready(fmt::format("syncing every {}", config.interval));
    log.log(LogLevel::info, fmt::format("client {} syncs every {}{}", config.client_id, config.interval,
                                        notifier.watchdog().count() ? fmt::format("; watchdog {} ms", notifier.watchdog().count() / 1000) : ""));
    client.start();
    WatchdogPinger pinger(notifier, watch, log);
    const int signal_number = wait_for_signal(signals, pinger);
    notifier.stopping(fmt::format("signal {}: finishing with one last sync", signal_number));
    log.log(LogLevel::info, fmt::format("signal {} ({}): finishing the sync in flight, then one last sync", signal_number,
                                        strsignal(signal_number)));
    // The last sync may be long too: the watchdog stays fed while it progresses.
    auto stopped = std::async(std::launch::async, [&] { client.stop(); });
    if (const auto every = pinger.every(); every.count() > 0)
        while (stopped.wait_for(every) != std::future_status::ready) pinger.ping_if_alive();
    try {
        stopped.get();  // finishes the sync in flight, then one last sync
    } catch (const std::exception&) {
        return 1;  // logged by on_error
    }
    log.log(LogLevel::info, "stopped");
    return 0;
}

}  // namespace nas_sync::cli
