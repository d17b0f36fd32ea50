#include "cli/service_notifier.hpp"

#include <fmt/format.h>
#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstring>

namespace nas_sync::cli {

ServiceNotifier::ServiceNotifier(LogSink& log) : log_(log) {
    std::uint64_t usec = 0;
    const int r = sd_watchdog_enabled(0, &usec);
    if (r > 0)
        watchdog_ = std::chrono::microseconds(usec);
    else if (r < 0)
        log_.log(LogLevel::warning, fmt::format("WATCHDOG_USEC or WATCHDOG_PID cannot be read ({}): no watchdog pings",
                                                std::strerror(-r)));
}

void ServiceNotifier::ready(const std::string& status) { send("READY=1\nSTATUS=" + status); }
void ServiceNotifier::status(const std::string& status) { send("STATUS=" + status); }
void ServiceNotifier::stopping(const std::string& status) { send("STOPPING=1\nSTATUS=" + status); }
void ServiceNotifier::watchdog_ping() { send("WATCHDOG=1"); }

void ServiceNotifier::send(const std::string& state) {
    const int r = sd_notify(0, state.c_str());  // 0: NOTIFY_SOCKET unset, nothing to do
    if (r >= 0) return;
    // systemd may then think we never became ready, or kill us for silence: say so once, loudly.
    log_.log(failure_logged_.exchange(true) ? LogLevel::debug : LogLevel::warning,
             fmt::format("cannot notify systemd at NOTIFY_SOCKET ({}): {}", std::strerror(-r),
                         state.substr(0, state.find('\n'))));
}

}  // namespace nas_sync::cli
