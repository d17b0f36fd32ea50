#include "cli/progress_reporter.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nas_sync/error.hpp"

namespace nas_sync::cli {

namespace {
constexpr auto terminal_delay = std::chrono::seconds(2);
}  // namespace

ProgressMode parse_progress_mode(const std::string& text) {
    if (text == "auto") return ProgressMode::automatic;
    if (text == "json") return ProgressMode::json_lines;
    if (text == "off") return ProgressMode::off;
    throw Error(ErrorCode::config, fmt::format("--progress '{}': use auto, json or off", text));
}

ProgressReporter::ProgressReporter(ProgressMode mode, std::ostream& out, bool terminal)
    : mode_(mode), out_(out), terminal_(terminal) {}

void ProgressReporter::sync_started() {
    sync_start_ = last_step_ = Clock::now();
    peer_.clear();
    drawn_ = false;
}

void ProgressReporter::report(const SyncProgress& p) {
    if (mode_ == ProgressMode::off || (mode_ == ProgressMode::automatic && !terminal_)) return;
    const auto now = Clock::now();
    if (p.peer != peer_) {
        peer_ = p.peer;  // a new peer's merge began when the step before ended
        peer_start_ = last_step_;
    }
    last_step_ = now;
    const double seconds = std::chrono::duration<double>(now - peer_start_).count();
    const double rate = seconds > 0 ? static_cast<double>(p.done) / seconds : 0;
    const bool known = p.total >= 0;
    const double left = known && rate > 0 ? static_cast<double>(p.total - p.done) / rate : -1;
    if (mode_ == ProgressMode::json_lines) {
        nlohmann::json line{{"peer", p.peer}, {"done", p.done}, {"total", known ? nlohmann::json(p.total) : nullptr},
                            {"rows_per_s", static_cast<std::int64_t>(rate)},
                            {"seconds_left", left >= 0 ? nlohmann::json(static_cast<std::int64_t>(left + 0.5)) : nullptr}};
        out_ << line.dump() << std::endl;
        return;
    }
    if (now - sync_start_ < terminal_delay) return;
    out_ << fmt::format("\r\033[Kpeer {}: {}{} rows, {:.0f} rows/s{}", p.peer, p.done,
                        known ? fmt::format(" of {}", p.total) : "", rate,
                        left >= 0 ? fmt::format(", {:.0f} s left", left) : "")
         << std::flush;
    drawn_ = true;
}

void ProgressReporter::sync_ended() {
    if (drawn_) out_ << "\n" << std::flush;
    drawn_ = false;
}

}  // namespace nas_sync::cli
