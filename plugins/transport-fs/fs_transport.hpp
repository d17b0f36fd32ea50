// Transport `fs`: the share is a folder (a mounted NAS, or any local folder).
#pragma once

#include <nas_sync/transport.hpp>

#include "no_follow.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace nas_sync::fs_transport {

class FsTransport final : public Transport {
public:
    // OptionError when root is not an existing folder; Error(io) when it cannot be written.
    explicit FsTransport(std::filesystem::path root);

    std::vector<ObjectInfo> list(std::string_view prefix) override;
    void put(const std::filesystem::path& local_file, std::string_view name) override;
    void get(std::string_view name, const std::filesystem::path& local_file) override;
    std::string read_first_bytes(std::string_view name, std::size_t length) override;
    void remove(std::string_view name) override;
    std::string describe() const override { return "fs:" + root_.string(); }
    std::vector<std::string> take_warnings() override;

private:
    // Adds the objects of folder `name` (its descriptor) and of its
    // subfolders that may start with `prefix`; `buffer` receives its listing.
    void walk(FileDescriptor folder, const std::string& name, std::string_view prefix, std::vector<char>& buffer,
              std::vector<ObjectInfo>& out);
    // One entry of that folder (`type` as the listing gave it): a file is
    // added, a subfolder to enter noted.
    void add_entry(int folder, const char* filename, unsigned char type, const std::string& name,
                   std::string_view prefix, std::vector<std::string>& subfolders, std::vector<ObjectInfo>& out);

    std::filesystem::path root_;
    std::vector<std::string> warnings_;  // links met while listing
};

}  // namespace nas_sync::fs_transport
