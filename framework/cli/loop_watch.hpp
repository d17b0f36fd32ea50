// Whether the sync loop of `nas-sync run` is alive, for the systemd
// watchdog: pings are sent only while it is, so a stuck sync stops them and
// systemd restarts the service. Alive: a sync in flight has shown a sign of
// life (its start, a progress step) within `limit`, or, between syncs, the
// next one is not later than `interval + limit` after the last ended.
#pragma once

#include <chrono>
#include <mutex>

namespace nas_sync::cli {

class LoopWatch {
public:
    using Clock = std::chrono::steady_clock;
    LoopWatch(Clock::duration interval, Clock::duration limit);

    void sync_started();
    void sign_of_life();  // a progress step
    void sync_ended();
    bool alive() const;
    // How long since the last sign of life (the start or end of a sync, a step).
    Clock::duration silent_for() const;

private:
    Clock::duration interval_, limit_;
    mutable std::mutex mutex_;  // written by the sync loop, read by the main thread
    bool syncing_ = false;
    Clock::time_point last_;
};

}  // namespace nas_sync::cli
