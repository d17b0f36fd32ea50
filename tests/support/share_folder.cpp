#include "share_folder.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>

#include "samba_server.hpp"

namespace nas_sync::test {
namespace fs = std::filesystem;

namespace {

std::atomic<int> folders_made{0};

// Root's files planted in the share must stay writable by smbd's user (nobody).
void clear_umask_once() {
    static const bool done = [] {
        if (::geteuid() == 0) ::umask(0);
        return true;
    }();
    (void)done;
}

}  // namespace

ShareAccess share_access_from_environment() {
    const char* value = std::getenv("NAS_SYNC_TEST_SHARE");
    const std::string v = value ? value : "";
    if (v.empty() || v == "fs") return ShareAccess::fs;
    if (v == "smb") return ShareAccess::smb;
    if (v == "nats") return ShareAccess::nats;
    throw std::runtime_error("NAS_SYNC_TEST_SHARE='" + v + "': use fs, smb or nats");
}

ShareFolder::ShareFolder(fs::path local, ShareAccess access) : access_(access) {
    if (access_ != ShareAccess::smb) {
        path_ = std::move(local);
        fs::create_directories(path_);
        return;
    }
    auto& server = process_samba_server();
    clear_umask_once();
    path_ = server.share_root() / ("folder-" + std::to_string(::getpid()) + "-" + std::to_string(++folders_made));
    fs::create_directory(path_);
    server.hand_over(path_);
}

ShareFolder::~ShareFolder() {
    if (access_ != ShareAccess::smb) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
}

PluginSection share_transport(const fs::path& folder, ShareAccess access) {
    if (access == ShareAccess::nats) throw std::logic_error("a folder is not reached through nats: name a bucket");
    PluginSection s;
    s.key = "transport";
    if (access == ShareAccess::fs) {
        s.plugin = "fs";
        s.options["path"] = RawOption{folder.string(), {}};
        return s;
    }
    const auto& server = process_samba_server();
    s.plugin = "smb";
    s.options["url"] = RawOption{server.url(fs::weakly_canonical(folder)), {}};
    s.options["username"] = RawOption{server.username(), {}};
    s.options["password"] = RawOption{server.password(), {}};
    return s;
}

std::string share_transport_yaml(const fs::path& folder, ShareAccess access) {
    if (access == ShareAccess::nats) throw std::logic_error("a folder is not reached through nats: name a bucket");
    if (access == ShareAccess::fs) return "{plugin: fs, path: '" + folder.string() + "'}";
    const auto& server = process_samba_server();
    return "{plugin: smb, url: '" + server.url(fs::weakly_canonical(folder)) + "', username: " + server.username() +
           ", password: " + server.password() + "}";
}

}  // namespace nas_sync::test
