// The nas-sync subcommands. Each returns the process exit status:
// 0 success, 1 a run-time failure, 2 a usage or configuration error.
// Errors are thrown as nas_sync::Error and mapped to a status in main.cpp.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>

#include "nas_sync/sync_result.hpp"

namespace nas_sync::cli {

struct GlobalOptions {
    std::filesystem::path config = "nas-sync.yaml";
    bool config_given = false;  // --config was on the command line
    bool json = false;
};

struct InitOptions {
    std::filesystem::path database;
    std::string share;
    std::string client_id;
    std::string smb_user;  // --user, with an smb:// share
    std::string exchange;  // --exchange: "" decides from the share (exchange_choice.hpp)
};

int plugins_command(const GlobalOptions& global);
int check_command(const GlobalOptions& global);
int init_command(const GlobalOptions& global, const InitOptions& init);
struct SyncOptions {
    bool wait = false;  // --wait: wait for another sync of the database to end instead of failing
    std::string progress = "auto";  // --progress: auto, json, off (progress_reporter.hpp)
    std::string metrics;            // run --metrics HOST:PORT ("" for none; metrics_server.hpp)
    std::string log_level = "info";   // run --log-level: error, warning, info, debug (log_sink.hpp)
    std::string log_format = "text";  // run --log-format: text, json
};

int sync_command(const GlobalOptions& global, const SyncOptions& sync);
int run_command(const GlobalOptions& global, const SyncOptions& sync);
int status_command(const GlobalOptions& global);
int verify_command(const GlobalOptions& global);  // exit 1 when clients differ (or ids, clocks: see docs)
struct ConflictsOptions {
    std::string since = "30d";  // --since: a duration back from now
    std::string table;          // --table: only this table ("" for all)
};
int conflicts_command(const GlobalOptions& global, const ConflictsOptions& options);
int adopt_share_command(const GlobalOptions& global);

}  // namespace nas_sync::cli
