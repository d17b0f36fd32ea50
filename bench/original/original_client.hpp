// A client of the original npm package `sqlite-nas-sync`, for measuring it in
// the same run as nas-sync: a Node.js process of its own runs driver.cjs
// (beside this file), which sets the client up and runs syncNow() on command.
#pragma once

#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace bench {

// The folder given to --original, checked: it must hold the package
// (DIR/node_modules/sqlite-nas-sync, as `npm install` puts it). Throws
// std::runtime_error saying what is missing.
std::filesystem::path original_package_folder(const std::filesystem::path& dir);

class OriginalClient {
public:
    // Starts `node driver.cjs` and waits for it to be set up. Throws when Node
    // cannot be started or the driver ends first (it says why on stderr).
    OriginalClient(const std::filesystem::path& package_folder, const std::filesystem::path& database,
                   const std::filesystem::path& share, const std::string& id);
    ~OriginalClient();  // asks the driver to quit, and waits for it
    OriginalClient(const OriginalClient&) = delete;
    OriginalClient& operator=(const OriginalClient&) = delete;

    struct Sync {
        double ms = 0;            // syncNow's time in the Node process
        nlohmann::json result;    // its SyncResult
        long peak_kb = 0;         // the process's peak memory so far
    };
    Sync sync();

private:
    std::string read_line();  // throws when the driver has ended

    std::string id_;
    pid_t pid_ = -1;
    int to_driver_ = -1;
    std::FILE* from_driver_ = nullptr;
};

}  // namespace bench
