// ShareFolder: the store a test syncs through, as a folder the test can
// plant files in and inspect, reached by the `fs` transport or, through this
// process's smbd (samba_server.hpp), by the `smb` transport.
//
// The engine-level suites (Fleet, the SIGKILL test) use the transport that
// NAS_SYNC_TEST_SHARE names: unset or "fs" for `fs`, "smb" for `smb`, "nats"
// for a fresh bucket on this process's nats-server (nats_server.hpp; Fleet
// names it, and the folder is only a local one that tests of share files
// cannot use); ctest runs them each way (engine_tests, engine_tests_smb,
// engine_tests_nats, ...).
//
// Over SMB, the folder lies under the smbd's share and belongs to smbd's
// user; as root, this process's umask is cleared once, so that what a test
// plants there (files, folders) stays writable by that user.
#pragma once

#include <filesystem>
#include <string>

#include "nas_sync/pipeline.hpp"

namespace nas_sync::test {

enum class ShareAccess { fs, smb, nats };

// What NAS_SYNC_TEST_SHARE asks for (a value other than "", "fs", "smb", "nats" is refused).
ShareAccess share_access_from_environment();

class ShareFolder {
public:
    // fs, nats: the folder `local` (created). smb: a fresh folder under the smbd's share, removed with this object.
    explicit ShareFolder(std::filesystem::path local, ShareAccess access = share_access_from_environment());
    ~ShareFolder();
    ShareFolder(const ShareFolder&) = delete;
    ShareFolder& operator=(const ShareFolder&) = delete;

    const std::filesystem::path& path() const { return path_; }
    ShareAccess access() const { return access_; }

private:
    std::filesystem::path path_;
    ShareAccess access_;
};

// The transport section that reaches `folder` the given way. Over SMB the
// folder is resolved through symbolic links first (a test may turn one
// fleet's share folder into a link to another's) and the section holds the
// smbd user's name and password.
PluginSection share_transport(const std::filesystem::path& folder, ShareAccess access);
// The same as a YAML flow mapping, for pipeline files: {plugin: fs, path: ...}.
std::string share_transport_yaml(const std::filesystem::path& folder, ShareAccess access);

}  // namespace nas_sync::test
