#include "original_client.hpp"

#include <fmt/format.h>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <vector>

extern char** environ;

namespace bench {

namespace fs = std::filesystem;

fs::path original_package_folder(const fs::path& dir) {
    const fs::path manifest = dir / "node_modules" / "sqlite-nas-sync" / "package.json";
    if (!fs::exists(manifest))
        throw std::runtime_error(fmt::format("--original '{}': no sqlite-nas-sync package there ({} is missing); run "
                                             "'npm install sqlite-nas-sync better-sqlite3' in a folder and give that folder",
                                             dir.string(), manifest.string()));
    return fs::absolute(dir);
}

OriginalClient::OriginalClient(const fs::path& package_folder, const fs::path& database, const fs::path& share,
                               const std::string& id)
    : id_(id) {
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) throw std::runtime_error("cannot make pipes for the original client");
    std::vector<std::string> args{"node", NAS_SYNC_BENCH_DRIVER, package_folder.string(), database.string(),
                                  share.string(), id};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    for (int fd : {in[0], in[1], out[0], out[1]}) posix_spawn_file_actions_addclose(&actions, fd);
    const int rc = posix_spawnp(&pid_, "node", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    to_driver_ = in[1];
    from_driver_ = fdopen(out[0], "r");
    if (rc != 0) {
        pid_ = -1;
        throw std::runtime_error(fmt::format("cannot start node for the original client '{}' (is Node.js installed?)", id));
    }
    if (read_line() != "ready") throw std::runtime_error(fmt::format("the original client '{}' did not start", id));
}

OriginalClient::~OriginalClient() {
    if (to_driver_ >= 0) {
        const char quit[] = "quit\n";
        [[maybe_unused]] const auto written = write(to_driver_, quit, sizeof quit - 1);
        close(to_driver_);
    }
    if (from_driver_) std::fclose(from_driver_);
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
}

std::string OriginalClient::read_line() {
    std::string line;
    for (int c; (c = std::fgetc(from_driver_)) != EOF && c != '\n';) line += static_cast<char>(c);
    if (line.empty() && std::feof(from_driver_))
        throw std::runtime_error(fmt::format("the original client '{}' ended (its message is above)", id_));
    return line;
}

OriginalClient::Sync OriginalClient::sync() {
    const char command[] = "sync\n";
    if (write(to_driver_, command, sizeof command - 1) != static_cast<ssize_t>(sizeof command - 1))
        throw std::runtime_error(fmt::format("the original client '{}' does not take commands", id_));
    const auto answer = nlohmann::json::parse(read_line());
    return {answer.at("ms").get<double>(), answer.at("result"), answer.at("peak_kb").get<long>()};
}

}  // namespace bench
