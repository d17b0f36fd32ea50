#include "host/sync_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "engine/versions/versions.hpp"
#include "nas_sync/error.hpp"

namespace nas_sync {

namespace {

// This process's command line, as `ps` would show it.
std::string command_line() {
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    for (auto& c : text)
        if (c == '\0') c = ' ';
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text.size() > 200 ? text.substr(0, 200) + "..." : text;
}

std::string holder_of(int fd) {
    char buffer[512] = {};
    const ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
    std::string text = n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text.empty() ? "a process that has not said which yet" : text;
}

}  // namespace

std::filesystem::path SyncLock::file_of(const std::filesystem::path& database, LockScope scope) {
    return database.string() + (scope == LockScope::run ? "-nas-sync-run.lock" : "-nas-sync.lock");
}

SyncLock::SyncLock(const std::filesystem::path& database, bool wait, LockScope scope) {
    const auto file = file_of(database, scope);
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
        throw Error(ErrorCode::io, fmt::format("cannot open the sync lock '{}': {}", file.string(), std::strerror(errno)));
    int rc;
    while ((rc = ::flock(fd_, LOCK_EX | (wait ? 0 : LOCK_NB))) != 0 && errno == EINTR) {
    }
    if (rc != 0) {
        const int err = errno;
        const std::string holder = err == EWOULDBLOCK ? holder_of(fd_) : "";
        ::close(fd_);
        if (err == EWOULDBLOCK && scope == LockScope::run)
            throw Error(ErrorCode::refused,
                        fmt::format("another `nas-sync run` of database '{}' is running ({}); a database is synced "
                                    "by one run at a time, and this one did nothing. Stop the other one, or use "
                                    "--wait to take over when it ends",
                                    database.string(), holder));
        if (err == EWOULDBLOCK)
            throw Error(ErrorCode::refused,
                        fmt::format("another sync of database '{}' is running ({}); this one has merged nothing "
                                    "and published nothing. Wait for it to end, or use --wait to wait for it",
                                    database.string(), holder));
        throw Error(ErrorCode::io, fmt::format("cannot lock '{}': {}", file.string(), std::strerror(err)));
    }
    const std::string holder =
        fmt::format("pid {}, `{}`, since {}\n", ::getpid(), command_line(), format_timestamp_ms(now_ms()));
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, holder.data(), holder.size(), 0) < 0) {
        // The lock holds without the note; a refused sync then names no holder.
    }
}

SyncLock::~SyncLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace nas_sync
