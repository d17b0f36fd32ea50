#include "engine/peer/work_folder.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fmt/format.h>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "nas_sync/error.hpp"

namespace nas_sync {
namespace fs = std::filesystem;

namespace {
std::mutex open_folders_mutex;
bool closed_for_exit = false;  // remove_work_folders_now() ran: the process is ending
std::set<fs::path>& open_folders() {
    static std::set<fs::path> folders;
    return folders;
}

// Whether it is time to look for `client_id`'s leftovers (and now counts as
// looked): at a process's first sync of the client, then once an hour. A
// killed sync ends its process, so a long run's own syncs leave none; only
// another process's can (a `nas-sync sync` killed beside a `run`), and the
// temporary folder can hold many names to read at every sync.
bool time_to_look_for_leftovers(const std::string& client_id) {
    static std::mutex mutex;
    static std::map<std::string, std::chrono::steady_clock::time_point> looked;
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex);
    const auto it = looked.find(client_id);
    if (it != looked.end() && now - it->second < std::chrono::hours(1)) return false;
    looked[client_id] = now;
    return true;
}

// Leftovers of killed syncs of this client: "nas-sync-<client>-<pid>-<8 hex>"
// whose pid no longer runs. The whole name is matched: client "pc" must not
// take "nas-sync-pc-7777-<pid>-<hex>" of client "pc-7777" for its own.
void remove_leftovers_of_killed_syncs(const fs::path& base, const std::string& prefix) {
    std::error_code ec;
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
}
}  // namespace

void remove_work_folders_now() {
    std::lock_guard lock(open_folders_mutex);
    for (const auto& folder : open_folders()) {
        // The sync goes on meanwhile: a file it makes after remove_all read
        // the folder keeps the folder (not empty). Again until it is gone.
        std::error_code ec;
        for (int attempt = 0; attempt < 100 && fs::exists(fs::symlink_status(folder, ec)); ++attempt)
            fs::remove_all(folder, ec);
    }
    open_folders().clear();
    closed_for_exit = true;  // a folder made after this would outlive the process
}

WorkFolder::WorkFolder(const std::string& client_id) {
    const fs::path base = fs::temp_directory_path();
    const std::string prefix = "nas-sync-" + client_id + "-";
    if (time_to_look_for_leftovers(client_id)) remove_leftovers_of_killed_syncs(base, prefix);
    std::error_code ec;
    std::random_device rd;
    path_ = base / fmt::format("{}{}-{:08x}", prefix, ::getpid(), rd());
    // Made and registered under one lock: an interrupt between the two would
    // leave a folder that remove_work_folders_now() does not know.
    std::lock_guard lock(open_folders_mutex);
    if (closed_for_exit) throw Error(ErrorCode::io, "interrupted: no new work folder");
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
