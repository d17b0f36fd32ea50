#include "no_follow.hpp"

#include <nas_sync/error.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nas_sync::fs_transport {

FileDescriptor::~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
}

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

void throw_os_error(const std::string& context, int err) {
    if (err == ELOOP)
        throw Error(ErrorCode::refused,
                    context + ": it is a symbolic link on the share, and nas-sync does not follow links there");
    throw Error(err == ENOENT ? ErrorCode::not_found : ErrorCode::io, context + ": " + std::strerror(err));
}

std::optional<FileDescriptor> open_folder(const std::filesystem::path& root, std::string_view folder, bool create) {
    // The root is the configured path: it may itself be a link (a mount point, say).
    FileDescriptor at(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (at.get() < 0) throw_os_error("cannot open share folder '" + root.string() + "'", errno);
    std::string walked;
    for (std::size_t start = 0; start < folder.size();) {
        const std::size_t end = std::min(folder.find('/', start), folder.size());
        const std::string segment(folder.substr(start, end - start));
        walked += (walked.empty() ? "" : "/") + segment;
        start = end + 1;
        int next = ::openat(at.get(), segment.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT && create) {
            if (::mkdirat(at.get(), segment.c_str(), 0755) != 0 && errno != EEXIST)
                throw_os_error("cannot create share folder '" + walked + "'", errno);
            next = ::openat(at.get(), segment.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (next < 0) {
            const int err = errno;
            if (err == ENOENT && !create) return std::nullopt;
            struct stat st {};
            // O_NOFOLLOW with O_DIRECTORY reports a link as "not a directory": tell which it is.
            if (err == ENOTDIR && ::fstatat(at.get(), segment.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                throw_os_error("'" + walked + "'", ELOOP);
            throw_os_error("cannot open share folder '" + walked + "'", err);
        }
        at = FileDescriptor(next);
    }
    return at;
}

std::pair<std::string_view, std::string_view> split_object_name(std::string_view name) {
    const auto slash = name.rfind('/');
    if (slash == std::string_view::npos) return {std::string_view(), name};
    return {name.substr(0, slash), name.substr(slash + 1)};
}

}  // namespace nas_sync::fs_transport
