#include "cli/log_sink.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "nas_sync/error.hpp"

namespace nas_sync::cli {

namespace {

// sd-daemon(3) priorities, as syslog numbers them.
int journal_priority(LogLevel level) {
    switch (level) {
        case LogLevel::error: return 3;
        case LogLevel::warning: return 4;
        case LogLevel::info: return 6;
        case LogLevel::debug: return 7;
    }
    return 6;
}

// UTC with milliseconds: 2026-12-07T04:34:23.123Z.
std::string timestamp() {
    const auto now = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(now)), ms);
}

}  // namespace

LogLevel parse_log_level(const std::string& text) {
    if (text == "error") return LogLevel::error;
    if (text == "warning") return LogLevel::warning;
    if (text == "info") return LogLevel::info;
    if (text == "debug") return LogLevel::debug;
    throw Error(ErrorCode::config, fmt::format("--log-level '{}': use error, warning, info or debug", text));
}

LogFormat parse_log_format(const std::string& text) {
    if (text == "text") return LogFormat::text;
    if (text == "json") return LogFormat::json;
    throw Error(ErrorCode::config, fmt::format("--log-format '{}': use text or json", text));
}

const char* level_name(LogLevel level) {
    switch (level) {
        case LogLevel::error: return "error";
        case LogLevel::warning: return "warning";
        case LogLevel::info: return "info";
        case LogLevel::debug: return "debug";
    }
    return "info";
}

bool stderr_is_journal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (!stream) return false;
    unsigned long long device = 0, inode = 0;
    char rest = 0;
    // Exactly two decimal numbers; anything else is not systemd's and is ignored.
    if (std::sscanf(stream, "%llu:%llu%c", &device, &inode, &rest) != 2) return false;
    struct stat st {};
    if (::fstat(STDERR_FILENO, &st) != 0) return false;
    return static_cast<unsigned long long>(st.st_dev) == device && static_cast<unsigned long long>(st.st_ino) == inode;
}

LogSink::LogSink(LogLevel threshold, LogFormat format, std::ostream& out, bool journal)
    : threshold_(threshold), format_(format), out_(out), journal_(journal) {}

void LogSink::log(LogLevel level, const std::string& message, const nlohmann::json& fields) {
    if (!enabled(level)) return;
    std::string line;
    if (journal_) line = fmt::format("<{}>", journal_priority(level));
    if (format_ == LogFormat::json) {
        // The time stays in JSON lines, also in the journal: whoever parses them wants it.
        // Ordered: time, level and message first, as a reader scans them.
        nlohmann::ordered_json object{{"time", timestamp()}, {"level", level_name(level)}, {"message", message}};
        for (const auto& [key, value] : fields.items()) object[key] = value;
        line += object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else if (journal_) {
        line += message;  // the journal stamps it, and shows the priority
    } else {
        line += fmt::format("{} {} {}", timestamp(), level_name(level), message);
    }
    // A message with a line break would become several journal entries and break line parsers.
    if (format_ == LogFormat::text)
        for (auto& c : line)
            if (c == '\n' || c == '\r') c = ' ';
    std::lock_guard lock(mutex_);
    out_ << line << std::endl;  // flushed: a line per event as it happens, also into a file
}

}  // namespace nas_sync::cli
