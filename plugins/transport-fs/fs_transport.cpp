#include "fs_transport.hpp"

#include "no_follow.hpp"
#include "temporary_name.hpp"

#include <nas_sync/error.hpp>
#include <nas_sync/object_name.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace nas_sync::fs_transport {
namespace fs = std::filesystem;

namespace {

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

std::chrono::system_clock::time_point modified_of(const struct stat& st) {
    const auto since_epoch = std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
}

// A listing fails with Error(io) only (a folder that is gone holds nothing).
[[noreturn]] void throw_listing_error(const fs::path& folder, int err) {
    throw Error(ErrorCode::io, "cannot list share folder '" + folder.string() + "': " + std::strerror(err));
}

// Whether objects under folder `folder` (relative to the share) can start with
// `prefix`: "client-" is not under "journal", "journal/A/" is under "journal".
bool may_hold(const std::string& folder, std::string_view prefix) {
    const std::string as_prefix = folder + "/";
    return prefix.starts_with(as_prefix) || std::string_view(as_prefix).starts_with(prefix);
}

}  // namespace

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
    std::vector<ObjectInfo> out;
    auto folder = open_folder(root_, folder_part, false);  // refuses a link on the way
    if (!folder) {
        if (folder_part.empty()) throw_os_error("cannot list share folder '" + root_.string() + "'", ENOENT);
        return out;
    }
    std::vector<char> buffer(16384);  // one for every folder: each is read whole before its subfolders
    walk(std::move(*folder), folder_part, prefix, buffer, out);
    std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.name < b.name; });
    return out;
}

// Reads folder `name` (relative to the share) through its descriptor: each
// entry's type comes with the listing, and only the files listed are
// stat'ed, relative to their folder (no path walked again per name).
// getdents64 rather than readdir: a fleet's listing opens a folder per
// client, and fdopendir costs two more system calls and a buffer each.
// Subfolders are entered once the folder is read, so a deep tree on the
// share costs a descriptor per level (as readdir's walk did), not a buffer.
void FsTransport::walk(FileDescriptor folder, const std::string& name, std::string_view prefix,
                       std::vector<char>& buffer, std::vector<ObjectInfo>& out) {
    std::vector<std::string> subfolders;
    while (true) {
        const ssize_t got = ::getdents64(folder.get(), buffer.data(), buffer.size());
        if (got < 0) {
            if (errno == EINTR) continue;
            if (errno == ENOENT) return;  // removed since we opened it: nothing in it
            throw_listing_error(root_ / name, errno);
        }
        if (got == 0) break;
        for (ssize_t at = 0; at < got;) {
            const auto* entry = reinterpret_cast<const struct dirent64*>(buffer.data() + at);
            at += entry->d_reclen;
            add_entry(folder.get(), entry->d_name, entry->d_type, name, prefix, subfolders, out);
        }
    }
    for (const auto& subfolder : subfolders) {
        const std::string object = name.empty() ? subfolder : name + "/" + subfolder;
        FileDescriptor inner(::openat(folder.get(), subfolder.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (inner.get() < 0) {
            if (errno == ENOENT || errno == ENOTDIR) continue;  // removed or replaced while we listed
            throw_listing_error(root_ / object, errno);
        }
        walk(std::move(inner), object, prefix, buffer, out);
    }
}

void FsTransport::add_entry(int folder, const char* filename_text, unsigned char type, const std::string& name,
                            std::string_view prefix, std::vector<std::string>& subfolders,
                            std::vector<ObjectInfo>& out) {
    const std::string_view filename = filename_text;
    if (filename == "." || filename == "..") return;
    const std::string object = name.empty() ? std::string(filename) : name + "/" + std::string(filename);
    struct stat st {};
    bool stated = false;
    if (type == DT_UNKNOWN) {  // file systems that do not say (some network ones)
        if (::fstatat(folder, filename_text, &st, AT_SYMLINK_NOFOLLOW) != 0) return;  // removed meanwhile
        stated = true;
        type = S_ISLNK(st.st_mode) ? DT_LNK : S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
    }
    if (type == DT_LNK) {  // never followed: a linked folder is not entered, a linked file not listed
        if (object.starts_with(prefix))
            warnings_.push_back("'" + object + "' on the share is a symbolic link; nas-sync does not follow links on "
                                "the share, so it is ignored");
        return;
    }
    if (type == DT_DIR) {
        // A listing of `client-` does not walk `journal/` and every client's
        // folder in it; nor a folder too deep to hold an object name (a
        // stranger's tree would otherwise hold a descriptor per level).
        if (may_hold(object, prefix) && object.size() + 2 <= max_object_name_length) subfolders.emplace_back(filename);
        return;
    }
    if (type != DT_REG || !object.starts_with(prefix) || plugin_common::is_temporary_name(filename)) return;
    if (!stated && ::fstatat(folder, filename_text, &st, AT_SYMLINK_NOFOLLOW) != 0) return;  // removed meanwhile
    if (!S_ISREG(st.st_mode)) return;  // replaced while we listed
    out.push_back({object, static_cast<std::uint64_t>(st.st_size), modified_of(st)});
}

std::vector<std::string> FsTransport::take_warnings() {
    std::vector<std::string> out;
    for (auto& w : warnings_)
        if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(std::move(w));
    warnings_.clear();
    return out;
}

void FsTransport::put(const fs::path& local_file, std::string_view name) {
    require_safe_object_name(name);
    const auto [folder_name, filename] = split_object_name(name);
    const std::string context = "cannot put '" + std::string(name) + "' on share '" + root_.string() + "'";
    const FileDescriptor folder = *open_folder(root_, folder_name, true);
    const fs::path folder_path = root_ / std::string(folder_name);

    // Leftovers of puts into this folder that were killed half-way: from a
    // dead process of this machine, or older than any put takes.
    std::error_code ec;
    for (fs::directory_iterator it(folder_path, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string f = it->path().filename().string();
        if (!plugin_common::is_temporary_name(f)) continue;
        std::error_code time_ec;
        const auto modified = it->last_write_time(time_ec);
        const auto age = time_ec ? std::chrono::nanoseconds::zero()  // no age known: only a dead process's
                                 : std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       fs::file_time_type::clock::now() - modified);
        if (plugin_common::left_by_killed_put(f, age)) ::unlinkat(folder.get(), f.c_str(), 0);
    }

    const std::string temp = plugin_common::temporary_name_for(std::string(filename));
    FileDescriptor in(::open(local_file.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) throw_os_error("cannot read local file '" + local_file.string() + "'", errno);
    {
        FileDescriptor out(::openat(folder.get(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
        if (out.get() < 0) throw_os_error(context, errno);
        try {
            copy_fd(in.get(), out.get(), true, context);
            if (::close(out.release()) != 0) throw_os_error(context + " (close)", errno);
        } catch (...) {
            ::unlinkat(folder.get(), temp.c_str(), 0);
            throw;
        }
    }
    // The rename replaces whatever the name was, a link included, and never follows it.
    if (::renameat(folder.get(), temp.c_str(), folder.get(), std::string(filename).c_str()) != 0) {
        const int err = errno;
        ::unlinkat(folder.get(), temp.c_str(), 0);
        throw_os_error(context + " (rename)", err);
    }
    ::fsync(folder.get());  // the rename itself durable
}

// The object `name`, opened for reading without following a link on the way.
static FileDescriptor open_object(const fs::path& root, std::string_view name, const std::string& context) {
    require_safe_object_name(name);
    const auto [folder_name, filename] = split_object_name(name);
    const auto folder = open_folder(root, folder_name, false);
    if (!folder) throw_os_error(context, ENOENT);
    FileDescriptor in(::openat(folder->get(), std::string(filename).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (in.get() < 0) throw_os_error(context, errno);
    struct stat st {};
    if (::fstat(in.get(), &st) != 0 || !S_ISREG(st.st_mode)) throw_os_error(context + " (not a file)", EISDIR);
    return in;
}

void FsTransport::get(std::string_view name, const fs::path& local_file) {
    const FileDescriptor in =
        open_object(root_, name, "cannot get '" + std::string(name) + "' from share '" + root_.string() + "'");
    FileDescriptor out(::open(local_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (out.get() < 0) throw_os_error("cannot write local file '" + local_file.string() + "'", errno);
    copy_fd(in.get(), out.get(), false, "cannot get '" + std::string(name) + "'");
    if (::close(out.release()) != 0) throw_os_error("cannot write local file '" + local_file.string() + "'", errno);
}

std::string FsTransport::read_first_bytes(std::string_view name, std::size_t length) {
    const std::string context = "cannot read '" + std::string(name) + "' from share '" + root_.string() + "'";
    const FileDescriptor in = open_object(root_, name, context);
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
    const std::string context = "cannot remove '" + std::string(name) + "' from share '" + root_.string() + "'";
    const auto [folder_name, filename] = split_object_name(name);
    const auto folder = open_folder(root_, folder_name, false);
    if (!folder) throw_os_error(context, ENOENT);
    if (::unlinkat(folder->get(), std::string(filename).c_str(), 0) != 0) throw_os_error(context, errno);
}

}  // namespace nas_sync::fs_transport
