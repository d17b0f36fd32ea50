// nas_sync/pipeline.hpp: the pipeline, as read from a file or built in code.
//
// A PipelineConfig is plain data. load_pipeline_file() fills it from YAML and
// checks the host's own keys; the plugin sections' options are checked later,
// against each plugin's option table, when the plugins are loaded
// (nas_sync/client.hpp). Errors are nas_sync::Error with ErrorCode::config and
// a message that starts with FILE:LINE:COL and names the key.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "nas_sync/error.hpp"

namespace nas_sync {

// Where a value came from: a place in a pipeline file, or a key path when the
// pipeline was built in code.
struct SourceLocation {
    std::string file;  // "" when built in code
    int line = 0;      // 1-based; 0 when unknown
    int column = 0;

    // "FILE:LINE:COL", "FILE" or "pipeline" (built in code).
    std::string str() const;
};

// A configuration error and where it is: what() is "FILE:LINE:COL: message"
// (or "pipeline: message" for a pipeline built in code); location() and
// key() give the place and the key ("interval", "journal.base_every",
// "transport.path") apart, for machine-readable output. ErrorCode::config.
class ConfigError : public Error {
public:
    ConfigError(SourceLocation location, std::string key, std::string message);
    const SourceLocation& location() const noexcept { return location_; }
    const std::string& key() const noexcept { return key_; }
    const std::string& message() const noexcept { return message_; }  // what() without the location

private:
    SourceLocation location_;
    std::string key_;
    std::string message_;
};

// An option value as written, before it is checked against the plugin's
// option table: a scalar, a list of scalars, or a map of scalars.
struct RawOption {
    using Value = std::variant<std::string, std::vector<std::string>, std::map<std::string, std::string>>;
    Value value;
    SourceLocation location;
};

// One `transport:`, `discovery:`, resolver or hook entry.
struct PluginSection {
    std::string plugin;
    std::vector<std::string> tables;  // resolvers only: the tables this entry is limited to
    // Hooks only: the events this entry receives (start, complete, error,
    // conflict); empty means the default, complete and error.
    std::vector<std::string> on;
    std::map<std::string, RawOption> options;
    SourceLocation location;  // of the section itself
    std::string key;          // where it sits in the file: "transport", "resolvers[1]", ...
};

enum class ExchangeLayout { snapshot, journal };

// The `journal:` section (exchange: journal only).
struct JournalOptions {
    int base_every = 100;                                           // segments between base snapshots
    std::chrono::milliseconds snapshot_every{0};                    // also keep client-<id>.sqlite fresh; 0: never
    std::chrono::milliseconds retire_after{std::chrono::hours(24 * 30)};  // a peer silent this long is not waited for
};

struct PipelineConfig {
    std::filesystem::path file;      // the pipeline file, "" when built in code
    std::filesystem::path base_dir;  // relative paths are resolved against it
    int version = 1;
    std::string client_id;
    std::filesystem::path database;
    std::vector<std::filesystem::path> plugin_paths;
    PluginSection transport;
    ExchangeLayout exchange = ExchangeLayout::snapshot;
    PluginSection discovery{.plugin = "auto", .key = "discovery"};
    std::vector<PluginSection> resolvers{{.plugin = "lww", .key = "resolvers[0]"}};
    std::vector<PluginSection> hooks;  // keys "hooks[0]", ...: run on sync events (nas_sync/hook.hpp)
    std::chrono::milliseconds interval{std::chrono::seconds(30)};
    std::chrono::milliseconds changelog_retention{std::chrono::hours(24 * 7)};
    std::chrono::milliseconds conflict_log_retention{std::chrono::hours(24 * 30)};
    // A copy changed only by merged states is published at most this often (0: at every sync).
    std::chrono::milliseconds merged_publish_every{std::chrono::minutes(10)};
    bool heartbeat = true;
    std::string schema_version = "auto";
    JournalOptions journal;
    std::map<std::string, SourceLocation> locations;  // of each top-level value given in the file
};

// Reads and checks a pipeline file. Relative paths in it are resolved against
// the file's folder.
PipelineConfig load_pipeline_file(const std::filesystem::path& file);

// The same from YAML text; `file` is used in messages and to resolve relative
// paths.
PipelineConfig parse_pipeline(const std::string& yaml_text, const std::filesystem::path& file);

// Checks the host's keys of a pipeline built in code (client id, paths, ...).
void validate_pipeline(const PipelineConfig& config);

// The events a hook entry may name in `on:`, and those it gets without `on:`.
inline constexpr const char* hook_event_names[] = {"start", "complete", "error", "conflict"};
inline constexpr const char* default_hook_events[] = {"complete", "error"};

// A client id is 1 to 64 letters, digits, '.', '_' or '-', and not '.' or '..'.
bool is_valid_client_id(const std::string& id);

// "30s", "5m", "1h", "7d", "500ms" -> milliseconds; throws Error(config) naming
// `what` otherwise.
std::chrono::milliseconds parse_duration(const std::string& text, const std::string& what);

}  // namespace nas_sync
