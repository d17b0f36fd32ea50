#include "fs_transport.hpp"

#include "temporary_name.hpp"

#include <nas_sync/error.hpp>
#include <nas_sync/object_name.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace nas_sync::fs_transport {
namespace fs = std::filesystem;

namespace {

// Every OS error becomes an Error here, with what we were doing.
[[noreturn]] void throw_os_error(const std::string& context, int err) {
    const auto code = (err == ENOENT) ? ErrorCode::not_found : ErrorCode::io;
    throw Error(code, context + ": " + std::strerror(err));
}

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

// Whether `fd` may hold bytes although copy_file_range copied none from it
// (it copies nothing from /proc files, for example): read it the ordinary way.
bool may_hold_more(int fd) {
    struct stat st {};
    return ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 0;
}

// Copies what is left of `from` into `to` inside the kernel (no copy through
// our memory; a network file system may copy on the server). False when this
// pair of files does not support it and nothing was copied.
bool copy_in_kernel(int from, int to, const std::string& context) {
    bool copied_any = false;
    while (true) {
        const ssize_t n = ::copy_file_range(from, nullptr, to, nullptr, std::size_t{1} << 30, 0);
        if (n > 0) {
            copied_any = true;
            continue;
        }
        if (n == 0) return copied_any || !may_hold_more(from);
        if (errno == EINTR) continue;
        const bool unsupported = errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP;
        if (unsupported && !copied_any) return false;
        throw_os_error(context + " (copy)", errno);
    }
}

// Copies what is left of `from` into `to` through our memory.
void copy_by_reading(int from, int to, const std::string& context) {
    std::vector<char> buffer(1 << 20);
    while (true) {
        const ssize_t n = ::read(from, buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_os_error(context + " (read)", errno);
        }
        if (n == 0) return;
        ssize_t done = 0;
        while (done < n) {
            const ssize_t w = ::write(to, buffer.data() + done, static_cast<std::size_t>(n - done));
            if (w < 0) {
                if (errno == EINTR) continue;
                throw_os_error(context + " (write)", errno);
            }
            done += w;
        }
    }
}

// Copies all of `from` into `to`; fsyncs `to` when asked.
void copy_fd(int from, int to, bool sync, const std::string& context) {
    if (!copy_in_kernel(from, to, context)) copy_by_reading(from, to, context);
    if (sync && ::fsync(to) != 0) throw_os_error(context + " (flush)", errno);
}

std::chrono::system_clock::time_point to_system(fs::file_time_type t) {
    return std::chrono::time_point_cast<std::chrono::system_clock::duration>(std::chrono::file_clock::to_sys(t));
}

}  // namespace

bool FsTransport::is_temporary_name(const std::string& filename) {
    return plugin_common::is_temporary_name(filename);
}

FsTransport::FsTransport(fs::path root) : root_(std::move(root)) {
    struct stat st {};
    if (::stat(root_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw OptionError("path", "share folder '" + root_.string() + "' does not exist or is not a folder");
    // A share that exists but cannot be written now (mounted read-only, or
    // permissions) is a run-time failure, not a wrong configuration.
    if (::access(root_.c_str(), R_OK | W_OK | X_OK) != 0)
        throw Error(ErrorCode::io, "share folder '" + root_.string() + "' cannot be written by this user: " +
                                       std::strerror(errno));
}

std::vector<ObjectInfo> FsTransport::list(std::string_view prefix) {
    // Start from the deepest folder the prefix names, so listing a folder of
    // the share does not walk the others.
    const auto slash = prefix.rfind('/');
    const std::string folder_part = slash == std::string_view::npos ? "" : std::string(prefix.substr(0, slash));
    if (!folder_part.empty()) require_safe_object_name(folder_part);
    const fs::path start = folder_part.empty() ? root_ : root_ / folder_part;

    std::vector<ObjectInfo> out;
    std::error_code ec;
    if (!fs::exists(start, ec)) {
        if (folder_part.empty()) throw_os_error("cannot list share folder '" + root_.string() + "'", ENOENT);
        return out;
    }
    fs::recursive_directory_iterator it(start, ec), end;
    if (ec) throw Error(ErrorCode::io, "cannot list share folder '" + start.string() + "': " + ec.message());
    for (; it != end; it.increment(ec)) {
        if (ec) throw Error(ErrorCode::io, "cannot list share folder '" + start.string() + "': " + ec.message());
        std::error_code entry_ec;
        if (!it->is_regular_file(entry_ec)) continue;
        const std::string filename = it->path().filename().string();
        if (is_temporary_name(filename)) continue;
        const std::string name = it->path().lexically_relative(root_).generic_string();
        if (!name.starts_with(prefix)) continue;
        struct stat st {};
        if (::stat(it->path().c_str(), &st) != 0) continue;  // removed while we listed
        ObjectInfo info;
        info.name = name;
        info.size = static_cast<std::uint64_t>(st.st_size);
        info.modified = to_system(it->last_write_time(entry_ec));
        out.push_back(std::move(info));
    }
    std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.name < b.name; });
    return out;
}

void FsTransport::put(const fs::path& local_file, std::string_view name) {
    require_safe_object_name(name);
    const fs::path target = root_ / std::string(name);
    const fs::path folder = target.parent_path();
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) throw Error(ErrorCode::io, "cannot create share folder '" + folder.string() + "': " + ec.message());

    // Leftovers of puts into this folder that were killed half-way: from a
    // dead process of this machine, or older than any put takes.
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string f = it->path().filename().string();
        if (!is_temporary_name(f)) continue;
        std::error_code time_ec;
        const auto age = fs::file_time_type::clock::now() - it->last_write_time(time_ec);
        if (plugin_common::abandoned_by_dead_local_process(f) || (!time_ec && age > plugin_common::stale_temporary_age))
            fs::remove(it->path(), time_ec);
    }

    const fs::path temp = folder / plugin_common::temporary_name_for(target.filename().string());
    const std::string context = "cannot put '" + std::string(name) + "' on share '" + root_.string() + "'";
    FileDescriptor in(::open(local_file.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) throw_os_error("cannot read local file '" + local_file.string() + "'", errno);
    {
        FileDescriptor out(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (out.get() < 0) throw_os_error(context, errno);
        try {
            copy_fd(in.get(), out.get(), true, context);
            if (::close(out.release()) != 0) throw_os_error(context + " (close)", errno);
        } catch (...) {
            ::unlink(temp.c_str());
            throw;
        }
    }
    if (::rename(temp.c_str(), target.c_str()) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        throw_os_error(context + " (rename)", err);
    }
    // Make the rename itself durable.
    FileDescriptor dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() >= 0) ::fsync(dir.get());
}

void FsTransport::get(std::string_view name, const fs::path& local_file) {
    require_safe_object_name(name);
    const fs::path source = root_ / std::string(name);
    FileDescriptor in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) throw_os_error("cannot get '" + std::string(name) + "' from share '" + root_.string() + "'", errno);
    FileDescriptor out(::open(local_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (out.get() < 0) throw_os_error("cannot write local file '" + local_file.string() + "'", errno);
    copy_fd(in.get(), out.get(), false, "cannot get '" + std::string(name) + "'");
    if (::close(out.release()) != 0) throw_os_error("cannot write local file '" + local_file.string() + "'", errno);
}

std::string FsTransport::read_first_bytes(std::string_view name, std::size_t length) {
    require_safe_object_name(name);
    const fs::path source = root_ / std::string(name);
    const std::string context = "cannot read '" + std::string(name) + "' from share '" + root_.string() + "'";
    FileDescriptor in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) throw_os_error(context, errno);
    std::string out(length, '\0');
    std::size_t done = 0;
    while (done < length) {
        const ssize_t n = ::read(in.get(), out.data() + done, length - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_os_error(context, errno);
        }
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    out.resize(done);
    return out;
}

void FsTransport::remove(std::string_view name) {
    require_safe_object_name(name);
    const fs::path target = root_ / std::string(name);
    if (::unlink(target.c_str()) != 0)
        throw_os_error("cannot remove '" + std::string(name) + "' from share '" + root_.string() + "'", errno);
}

}  // namespace nas_sync::fs_transport
