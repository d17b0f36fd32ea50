// The log of `nas-sync run`: one line per event on stderr, at a level
// (error, warning, info, debug), as text ("TIME LEVEL MESSAGE") or as a JSON
// object per line. When stderr is the systemd journal, lines carry the
// level as an sd-daemon "<N>" priority prefix instead of our own timestamp.
#pragma once

#include <nlohmann/json.hpp>

#include <mutex>
#include <ostream>
#include <string>

namespace nas_sync::cli {

enum class LogLevel { error, warning, info, debug };
enum class LogFormat { text, json };

// "error", "warning", "info", "debug"; throws Error(config) naming --log-level otherwise.
LogLevel parse_log_level(const std::string& text);
// "text", "json"; throws Error(config) naming --log-format otherwise.
LogFormat parse_log_format(const std::string& text);
const char* level_name(LogLevel level);

// Whether our stderr is a stream to the journal: systemd sets JOURNAL_STREAM
// to "DEVICE:INODE" of that stream, and a program whose stderr was redirected
// since must not believe it (systemd.exec(5), "$JOURNAL_STREAM").
bool stderr_is_journal();

class LogSink {
public:
    LogSink(LogLevel threshold, LogFormat format, std::ostream& out, bool journal);

    bool enabled(LogLevel level) const { return level <= threshold_; }
    // One line, if `level` is enabled. `fields` (a JSON object) are added to
    // a JSON line beside time, level and message; text lines show only the message.
    void log(LogLevel level, const std::string& message, const nlohmann::json& fields = nlohmann::json::object());

private:
    LogLevel threshold_;
    LogFormat format_;
    std::ostream& out_;
    bool journal_;
    std::mutex mutex_;  // the sync loop's callbacks and the main thread both log
};

}  // namespace nas_sync::cli
