// Reaching files below the share's root without ever following a symbolic
// link: every folder on the way is opened with O_NOFOLLOW from the one
// before, and files with O_NOFOLLOW in their folder. A link met on the way
// is refused (Error(refused), naming it): followed, a link to a database
// elsewhere on this computer would be read as a peer's, and one to an outside
// folder would have our objects written and removed there.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace nas_sync::fs_transport {

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    ~FileDescriptor();
    FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    FileDescriptor& operator=(FileDescriptor&& other) noexcept;
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

// Every OS error becomes an Error here, with what we were doing: ENOENT is
// not_found, ELOOP (a link) refused, the rest io.
[[noreturn]] void throw_os_error(const std::string& context, int err);

// The folder `folder` ('/'-separated, checked safe; "" is the root itself)
// below `root`. With `create`, missing folders are made; without, nothing
// when one is missing.
std::optional<FileDescriptor> open_folder(const std::filesystem::path& root, std::string_view folder, bool create);

// The folder part and the file name of an object name ("journal/A", "seg-1.sqlite").
std::pair<std::string_view, std::string_view> split_object_name(std::string_view name);

}  // namespace nas_sync::fs_transport
