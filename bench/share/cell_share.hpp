// CellShare: the store one bench cell's fleet syncs through, reached by the
// transport --transport names: `fs`, a folder of the cell; `smb`, a folder on
// the smbd this process starts on loopback; `nas`, a fresh bucket on the
// nats-server this process starts on loopback. The servers are the tests'
// (tests/support/samba_server.hpp, nats_server.hpp): started at first use,
// stopped by their own pid when the bench ends.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "nas_sync/pipeline.hpp"

namespace nas_sync::test {
class ShareFolder;
}

namespace bench {

enum class ShareKind { fs, smb, nats };

std::optional<ShareKind> share_kind_named(std::string_view name);
std::string name_of(ShareKind kind);

class CellShare {
public:
    CellShare(ShareKind kind, const std::filesystem::path& cell_dir);
    ~CellShare();
    CellShare(const CellShare&) = delete;
    CellShare& operator=(const CellShare&) = delete;

    ShareKind kind() const { return kind_; }
    nas_sync::PluginSection section() const;
    // Where the objects are files (fs, smb); empty for nats.
    const std::filesystem::path& folder() const;
    // A new share holding a copy of one client's published objects only (its
    // copy, or its journal folder), for a first contact against that client;
    // nullptr for nats, whose objects are not files to copy.
    std::unique_ptr<CellShare> copy_of_client(const std::string& id, const std::filesystem::path& site) const;

private:
    ShareKind kind_;
    std::unique_ptr<nas_sync::test::ShareFolder> folder_;  // fs, smb
    std::string bucket_;                                     // nats
};

// A transport section as one line of JSON and back, for the first-contact
// child process (this program run again), which cannot reach the servers'
// objects in this process.
std::string section_to_json(const nas_sync::PluginSection& section);
nas_sync::PluginSection section_from_json(const std::string& text);

}  // namespace bench
