// nas-sync: the command line.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "nas_sync/error.hpp"

#ifndef NAS_SYNC_VERSION
#error "NAS_SYNC_VERSION must be defined by the build"
#endif

int main(int argc, char** argv) {
    using namespace nas_sync::cli;
    CLI::App app{"nas-sync: keeps SQLite databases in sync through a shared folder", "nas-sync"};
    app.set_version_flag("--version", std::string("nas-sync ") + NAS_SYNC_VERSION);
    app.require_subcommand(1);
    app.fallthrough();

    GlobalOptions global;
    auto* config_option = app.add_option("--config", global.config, "Pipeline file (default: nas-sync.yaml)");
    app.add_flag("--json", global.json, "Print machine-readable JSON on stdout");

    auto* plugins = app.add_subcommand("plugins", "List the plugins found, with kind, name, version and path");
    auto* check = app.add_subcommand("check", "Load the pipeline, discover tables and print the plan; changes nothing");
    InitOptions init_options;
    auto* init = app.add_subcommand("init", "Write a starter pipeline for a database and a share");
    init->add_option("--db", init_options.database, "The application's SQLite database")->required();
    init->add_option("--share", init_options.share, "The share folder (a mounted NAS or any folder)")->required();
    init->add_option("--client", init_options.client_id, "This client's id: letters, digits, '.', '_', '-'")->required();

    auto* sync = app.add_subcommand("sync", "Run one sync and print its result");
    auto* run = app.add_subcommand("run", "Sync every interval until SIGINT/SIGTERM, then finish with one last sync");
    auto* status_cmd = app.add_subcommand("status", "Show the peers on the share and how far behind we are");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e);
        return status == 0 ? 0 : 2;
    }
    global.config_given = config_option->count() > 0;

    try {
        if (*plugins) return plugins_command(global);
        if (*check) return check_command(global);
        if (*init) return init_command(global, init_options);
        if (*sync) return sync_command(global);
        if (*run) return run_command(global);
        if (*status_cmd) return status_command(global);
    } catch (const nas_sync::Error& e) {
        std::cerr << "nas-sync: " << e.what() << "\n";
        return e.code() == nas_sync::ErrorCode::config ? 2 : 1;
    } catch (const std::exception& e) {
        std::cerr << "nas-sync: " << e.what() << "\n";
        return 1;
    }
    return 2;
}
