// SmbContext: one libsmbclient context (its own connections to the server),
// with every libsmbclient call made under one process-wide lock.
//
// libsmbclient is not thread-safe, even with one context per thread (it
// aborts with "Bad talloc magic value"), and Debian's build does not export
// its thread hooks. Calls are short (one request, or one chunk of a file), so
// one lock is cheap; sleeps and local I/O happen outside it.
//
// Each call returns 0 (or a count) on success and an errno value on failure;
// the transport turns those into nas_sync::Error in one place.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

struct _SMBCCTX;
struct _SMBCFILE;

namespace nas_sync::smb_transport {

struct Credentials {
    std::string username;  // "" for a guest (anonymous) connection
    std::string password;
    std::string domain;    // "" for the client's default workgroup
};

// One entry of a folder listing.
struct DirectoryEntry {
    enum class Kind { file, folder, link, other };
    std::string name;
    Kind kind = Kind::other;
    std::uint64_t size = 0;
    struct timespec modified {};
};

class SmbContext {
public:
    // Throws Error(io) when libsmbclient cannot start (its client configuration is unreadable).
    SmbContext(Credentials credentials, std::chrono::milliseconds timeout);
    ~SmbContext();
    SmbContext(const SmbContext&) = delete;
    SmbContext& operator=(const SmbContext&) = delete;

    int stat(const std::string& url, struct stat& out);
    int mkdir(const std::string& url);
    int unlink(const std::string& url);
    int rename(const std::string& from, const std::string& to);
    // The whole listing of a folder ("." and ".." left out).
    int list_folder(const std::string& url, std::vector<DirectoryEntry>& out);

    // An open file on the share, closed (errors ignored) when destroyed.
    class File {
    public:
        File() = default;
        ~File();
        File(File&& other) noexcept;
        File& operator=(File&&) = delete;
        File(const File&) = delete;
        bool is_open() const { return file_ != nullptr; }
        // Bytes read (0 at the end), or -errno.
        ssize_t read(void* buffer, std::size_t size);
        // Writes all of it: 0, or an errno value.
        int write_all(const void* data, std::size_t size);
        // Closes it: 0, or an errno value (a write the server refused at the end).
        int close();

    private:
        friend class SmbContext;
        SmbContext* context_ = nullptr;
        _SMBCFILE* file_ = nullptr;
    };
    // flags as for open(2): O_RDONLY, or O_WRONLY | O_CREAT | O_EXCL.
    int open(const std::string& url, int flags, File& out);

    const Credentials& credentials() const { return credentials_; }

private:
    Credentials credentials_;
    _SMBCCTX* context_ = nullptr;
};

}  // namespace nas_sync::smb_transport
