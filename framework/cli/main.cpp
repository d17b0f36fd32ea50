// nas-sync: the command line.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <optional>
#include <string_view>

#include "cli/commands.hpp"
#include "cli/log_sink.hpp"
#include "nas_sync/error.hpp"
#include "nas_sync/pipeline.hpp"

#ifndef NAS_SYNC_VERSION
#error "NAS_SYNC_VERSION must be defined by the build"
#endif

namespace {

using namespace nas_sync::cli;

const std::vector<std::string> commands = {"init", "check", "plugins", "sync", "run", "status", "verify", "conflicts", "adopt-share"};

// Levenshtein distance, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// The first word that is neither an option nor an option's value, when it
// names no command: CLI11 would only say that a subcommand is required.
std::optional<std::string> unknown_command(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--config") {
            ++i;  // its value
            continue;
        }
        if (arg.starts_with("-")) continue;
        if (std::find(commands.begin(), commands.end(), arg) != commands.end()) return std::nullopt;
        std::string best;
        std::size_t best_distance = 3;  // suggest only close words
        for (const auto& c : commands)
            if (const auto d = edit_distance(arg, c); d < best_distance) best = c, best_distance = d;
        return fmt::format("unknown command '{}'{}; commands: {}", arg,
                           best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best), fmt::join(commands, ", "));
    }
    return std::nullopt;
}

bool wants_json(int argc, char** argv) {
    return std::any_of(argv + 1, argv + argc, [](const char* a) { return std::string_view(a) == "--json"; });
}

// Prints an error: a line on stderr, and with --json also one JSON object on
// stdout ({"error", "exit_status", and "file", "line", "column", "key" where known}).
int report(const std::string& message, int status, bool json, const nas_sync::ConfigError* config = nullptr) {
    // In the journal (a service's failed start, say), at error priority like run's own error lines.
    std::cerr << (stderr_is_journal() ? "<3>" : "") << "nas-sync: " << message << "\n";
    if (json) {
        nlohmann::json out{{"error", config ? config->message() : message}, {"exit_status", status}};
        if (config) {
            const auto& at = config->location();
            if (!at.file.empty()) out["file"] = at.file;
            if (at.line > 0) out["line"] = at.line, out["column"] = at.column;
            if (!config->key().empty()) out["key"] = config->key();
        }
        std::cout << out.dump() << "\n";
    }
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    const bool json = wants_json(argc, argv);
    CLI::App app{"nas-sync: keeps SQLite databases in sync through a shared folder", "nas-sync"};
    app.set_version_flag("--version", std::string("nas-sync ") + NAS_SYNC_VERSION);
    app.require_subcommand(1);
    app.fallthrough();

    GlobalOptions global;
    auto* config_option = app.add_option("--config", global.config, "Pipeline file (default: nas-sync.yaml)");
    app.add_flag("--json", global.json, "Print machine-readable JSON on stdout");

    auto* plugins = app.add_subcommand("plugins", "List the plugins found, with kind, name, version, path and options");
    auto* check = app.add_subcommand("check", "Load the pipeline, discover tables and print the plan; changes nothing");
    InitOptions init_options;
    auto* init = app.add_subcommand("init", "Write a starter pipeline for a database and a share");
    init->add_option("--db", init_options.database, "The application's SQLite database")->required();
    init->add_option("--share", init_options.share,
                     "The share: a folder (a mounted NAS or any folder), or smb://host[:port]/share/folder")
        ->required();
    init->add_option("--user", init_options.smb_user,
                     "With an smb:// share: the SMB user (its password is read from NAS_SYNC_SMB_PASSWORD)");
    init->add_option("--client", init_options.client_id, "This client's id: letters, digits, '.', '_', '-'")->required();
    init->add_option("--exchange", init_options.exchange,
                     "snapshot or journal; without it: journal, or snapshot when the share has only snapshot-layout "
                     "clients (the original's)")
        ->check(CLI::IsMember({"snapshot", "journal"}));

    SyncOptions sync_options;
    auto* sync = app.add_subcommand("sync", "Run one sync and print its result");
    auto* run = app.add_subcommand("run", "Sync every interval until SIGINT/SIGTERM, then finish with one last sync");
    for (auto* command : {sync, run}) {
        command->add_flag("--wait", sync_options.wait,
                          "When another sync of the database (for run: another run) is running, wait for it "
                          "(default: fail at once)");
        command->add_option("--progress", sync_options.progress,
                            "auto (on a terminal, after 2 s), json (a JSON line per step on stderr), off")
            ->check(CLI::IsMember({"auto", "json", "off"}));
    }
    run->add_option("--metrics", sync_options.metrics,
                    "Serve Prometheus metrics at http://HOST:PORT/metrics (such as 127.0.0.1:9464)");
    run->add_option("--log-level", sync_options.log_level,
                    "The least important log lines on stderr: error, warning, info (a line per sync; the default), debug")
        ->check(CLI::IsMember({"error", "warning", "info", "debug"}));
    run->add_option("--log-format", sync_options.log_format,
                    "text (TIME LEVEL MESSAGE; the default) or json (an object per line)")
        ->check(CLI::IsMember({"text", "json"}));
    auto* status_cmd = app.add_subcommand("status", "Show the peers on the share and how far behind we are");
    auto* verify = app.add_subcommand(
        "verify", "Say whether every client on the share holds the same rows, from their digest reports (exit 1: not)");
    ConflictsOptions conflicts_options;
    auto* conflicts = app.add_subcommand("conflicts", "Show the conflicts syncs decided (the local conflict log)");
    conflicts->add_option("--since", conflicts_options.since, "How far back: 1h, 1d, 30d (default 30d)");
    conflicts->add_option("--table", conflicts_options.table, "Only this table");
    auto* adopt_share = app.add_subcommand(
        "adopt-share", "Sync with the share the pipeline names from now on, after it was moved or replaced on purpose");

    if (const auto unknown = unknown_command(argc, argv)) return report(*unknown, 2, json);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        return report(e.what(), 2, json);
    }
    global.config_given = config_option->count() > 0;

    try {
        if (*plugins) return plugins_command(global);
        if (*check) return check_command(global);
        if (*init) return init_command(global, init_options);
        if (*sync) return sync_command(global, sync_options);
        if (*run) return run_command(global, sync_options);
        if (*status_cmd) return status_command(global);
        if (*verify) return verify_command(global);
        if (*adopt_share) return adopt_share_command(global);
        if (*conflicts) return conflicts_command(global, conflicts_options);
    } catch (const nas_sync::ConfigError& e) {
        return report(e.what(), 2, json, &e);
    } catch (const nas_sync::Error& e) {
        return report(e.what(), e.code() == nas_sync::ErrorCode::config ? 2 : 1, json);
    } catch (const std::exception& e) {
        return report(e.what(), 1, json);
    }
    return 2;
}
