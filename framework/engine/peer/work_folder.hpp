// A private temporary folder for one sync's copies of peers' databases and
// of our own snapshot. Removed when the sync ends; folders left by a killed
// process are removed by the next sync of the same client.
#pragma once

#include <filesystem>
#include <string>

namespace nas_sync {

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
