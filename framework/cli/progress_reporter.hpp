// How `sync` and `run` show a sync's progress on stderr: on a terminal, once
// a sync has run for 2 s, one line redrawn in place (peer, rows done of
// total, rate, time left); with `--progress json`, a JSON line per step, for
// a GUI; with `--progress off`, nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

#include "nas_sync/sync_result.hpp"

namespace nas_sync::cli {

enum class ProgressMode { automatic, json_lines, off };

// "auto", "json", "off"; throws Error(config) naming --progress otherwise.
ProgressMode parse_progress_mode(const std::string& text);

class ProgressReporter {
public:
    // `terminal`: whether `out` is a terminal (automatic mode shows nothing otherwise).
    ProgressReporter(ProgressMode mode, std::ostream& out, bool terminal);

    void sync_started();
    void report(const SyncProgress& progress);
    // Ends the line drawn on a terminal.
    void sync_ended();

private:
    using Clock = std::chrono::steady_clock;
    ProgressMode mode_;
    std::ostream& out_;
    bool terminal_;
    Clock::time_point sync_start_;
    std::string peer_;  // the peer being merged, and when its merge began
    Clock::time_point peer_start_;
    Clock::time_point last_step_;
    bool drawn_ = false;
};

}  // namespace nas_sync::cli
