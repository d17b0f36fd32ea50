#include "engine/peer/work_folder.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fmt/format.h>
#include <random>

#include "nas_sync/error.hpp"

namespace nas_sync {
namespace fs = std::filesystem;

WorkFolder::WorkFolder(const std::string& client_id) {
    const fs::path base = fs::temp_directory_path();
    const std::string prefix = "nas-sync-" + client_id + "-";
    std::error_code ec;
    // Leftovers of killed syncs: the pid in the name no longer runs.
    for (fs::directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!name.starts_with(prefix)) continue;
        const auto dash = name.find('-', prefix.size());
        try {
            const pid_t pid = static_cast<pid_t>(std::stol(name.substr(prefix.size(), dash - prefix.size())));
            if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) {
                std::error_code remove_ec;
                fs::remove_all(it->path(), remove_ec);
            }
        } catch (const std::exception&) {
        }
    }
    std::random_device rd;
    path_ = base / fmt::format("{}{}-{:08x}", prefix, ::getpid(), rd());
    if (!fs::create_directory(path_, ec) || ec)
        throw Error(ErrorCode::io, fmt::format("cannot create work folder '{}': {}", path_.string(), ec.message()));
}

WorkFolder::~WorkFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

}  // namespace nas_sync
