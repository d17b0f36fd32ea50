// What `nas-sync run` tells systemd through the notification protocol
// (sd_notify(3), libsystemd): READY=1 once the client is set up, WATCHDOG=1
// pings, STATUS= lines, STOPPING=1 on shutdown. Without NOTIFY_SOCKET (not
// started by systemd with Type=notify) every call does nothing.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "cli/log_sink.hpp"

namespace nas_sync::cli {

class ServiceNotifier {
public:
    // Failures to notify are logged as warnings (once; later ones at debug).
    explicit ServiceNotifier(LogSink& log);

    void ready(const std::string& status);
    void status(const std::string& status);
    void stopping(const std::string& status);
    void watchdog_ping();
    // The watchdog timeout systemd set for us (WATCHDOG_USEC, when
    // WATCHDOG_PID is unset or ours); zero without one.
    std::chrono::microseconds watchdog() const { return watchdog_; }

private:
    void send(const std::string& state);

    LogSink& log_;
    std::chrono::microseconds watchdog_{0};
    std::atomic<bool> failure_logged_{false};  // pings come from the main thread, STATUS= from the sync loop
};

}  // namespace nas_sync::cli
