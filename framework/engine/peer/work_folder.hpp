// A private temporary folder for one sync's copies of peers' databases and
// of our own snapshot. Removed when the sync ends; folders left by a killed
// process are removed by a later process's first sync of the same client
// (and a long run's sync once an hour), and those of a command interrupted by
// SIGINT, SIGTERM or SIGHUP by the command itself.
#pragma once

#include <filesystem>
#include <string>

namespace nas_sync {

// Removes the work folders of this process now (a command interrupted by a
// signal, before it exits without unwinding). Not for a signal handler: call
// it from a thread that waits for the signal.
void remove_work_folders_now();

class WorkFolder {
public:
    explicit WorkFolder(const std::string& client_id);
    ~WorkFolder();
    WorkFolder(const WorkFolder&) = delete;
    WorkFolder& operator=(const WorkFolder&) = delete;
    std::filesystem::path file(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

}  // namespace nas_sync
