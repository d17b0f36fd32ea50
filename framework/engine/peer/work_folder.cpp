#include "engine/peer/work_folder.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fmt/format.h>
#include <mutex>
#include <random>
#include <set>

#include "nas_sync/error.hpp"

namespace nas_sync {
namespace fs = std::filesystem;

namespace {
std::mutex open_folders_mutex;
std::set<fs::path>& open_folders() {
    static std::set<fs::path> folders;
    return folders;
}
}  // namespace

void remove_work_folders_now() {
    std::lock_guard lock(open_folders_mutex);
    for (const auto& folder : open_folders()) {
        std::error_code ec;
        fs::remove_all(folder, ec);
    }
    open_folders().clear();
}

WorkFolder::WorkFolder(const std::string& client_id) {
    const fs::path base = fs::temp_directory_path();
    const std::string prefix = "nas-sync-" + client_id + "-";
    std::error_code ec;
    // Leftovers of killed syncs of this client: "nas-sync-<client>-<pid>-<8 hex>"
    // whose pid no longer runs. The whole name is matched: client "pc" must not
    // take "nas-sync-pc-7777-<pid>-<hex>" of client "pc-7777" for its own.
    for (fs::directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!name.starts_with(prefix)) continue;
        const std::string rest = name.substr(prefix.size());
        const auto dash = rest.find('-');
        const std::string pid_text = rest.substr(0, dash);
        const std::string tag = dash == std::string::npos ? "" : rest.substr(dash + 1);
        const bool ours = !pid_text.empty() && pid_text.size() <= 9 &&
                          pid_text.find_first_not_of("0123456789") == std::string::npos && tag.size() == 8 &&
                          tag.find_first_not_of("0123456789abcdef") == std::string::npos;
        if (!ours) continue;
        const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
        if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) {
            std::error_code remove_ec;
            fs::remove_all(it->path(), remove_ec);
        }
    }
    std::random_device rd;
    path_ = base / fmt::format("{}{}-{:08x}", prefix, ::getpid(), rd());
    // Created under the lock and listed at once: a signal that arrives once
    // the folder exists always finds it to remove (remove_work_folders_now).
    std::lock_guard lock(open_folders_mutex);
    if (!fs::create_directory(path_, ec) || ec)
        throw Error(ErrorCode::io, fmt::format("cannot create work folder '{}': {}", path_.string(), ec.message()));
    open_folders().insert(path_);
}

WorkFolder::~WorkFolder() {
    {
        std::lock_guard lock(open_folders_mutex);
        open_folders().erase(path_);
    }
    std::error_code ec;
    fs::remove_all(path_, ec);
}

}  // namespace nas_sync
