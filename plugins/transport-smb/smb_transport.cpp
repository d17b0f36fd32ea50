#include "smb_transport.hpp"

#include <nas_sync/error.hpp>
#include <nas_sync/object_name.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <thread>
#include <utility>

#include "tcp_probe.hpp"
#include "temporary_name.hpp"

namespace nas_sync::smb_transport {

namespace {

constexpr std::size_t chunk_size = std::size_t{1} << 20;
// While another client holds a put's target open, the put tries again after
// a random pause of up to 0.5 ms, growing to up to 50 ms.
constexpr std::chrono::microseconds first_rename_pause{500};
constexpr std::chrono::microseconds longest_rename_pause{50000};

class LocalFile {
public:
    explicit LocalFile(int fd) : fd_(fd) {}
    ~LocalFile() {
        if (fd_ >= 0) ::close(fd_);
    }
    LocalFile(const LocalFile&) = delete;
    LocalFile& operator=(const LocalFile&) = delete;
    int get() const { return fd_; }
    int close() { return ::close(std::exchange(fd_, -1)); }

private:
    int fd_;
};

// A local file that cannot be read or written is never "not found" on the share.
[[noreturn]] void throw_local_error(const std::string& what, const char* verb, const std::filesystem::path& file,
                                    int err) {
    throw Error(ErrorCode::io,
                what + ": cannot " + verb + " local file '" + file.string() + "': " + std::strerror(err));
}

void write_all_local(int fd, const char* data, std::size_t size, const std::filesystem::path& file,
                     const std::string& what) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_local_error(what, "write", file, errno);
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

std::chrono::system_clock::time_point to_system(const struct timespec& t) {
    return std::chrono::system_clock::from_time_t(t.tv_sec) +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(t.tv_nsec));
}

std::string join(const std::string& folder, const std::string& name) {
    return folder.empty() ? name : folder + "/" + name;
}

// The errors of a request sent on a connection the server closed (it
// restarted since our last call): nothing was done, so it can be sent again.
bool connection_was_lost(int err) {
    return err == ECONNABORTED || err == ECONNRESET || err == ENETRESET || err == EPIPE || err == ENOTCONN;
}

bool left_by_killed_put(const DirectoryEntry& e) {
    return e.kind == DirectoryEntry::Kind::file &&
           plugin_common::left_by_killed_put(e.name, std::chrono::system_clock::now() - to_system(e.modified));
}

// Whether names under `folder_prefix` ("journal/") can start with `prefix`.
bool may_hold(const std::string& folder_prefix, std::string_view prefix) {
    return folder_prefix.starts_with(prefix) || prefix.starts_with(folder_prefix);
}

}  // namespace

SmbTransport::SmbTransport(SmbLocation location, Credentials credentials, std::chrono::milliseconds timeout)
    : location_(std::move(location)), timeout_(timeout), display_(location_.display(credentials.username)) {
    try {
        context_ = std::make_unique<SmbContext>(std::move(credentials), timeout_);
    } catch (const Error& e) {
        throw Error(e.code(), "cannot use " + display_ + ": " + e.what());
    }
}

void SmbTransport::fail(const std::string& what, int err, bool missing_is_not_found) {
    const bool missing = err == ENOENT && missing_is_not_found;
    if (!missing) connected_ = false;  // the next call checks the server again
    std::string reason = std::strerror(err);
    if (err == ETIMEDOUT) reason += " (no answer within " + format_duration(timeout_) + ")";
    throw Error(missing ? ErrorCode::not_found : ErrorCode::io, what + ": " + reason);
}

void SmbTransport::require_safe(std::string_view name) const {
    if (!is_safe_object_name(name)) {
        try {
            require_safe_object_name(name);
        } catch (const Error& e) {
            throw Error(e.code(), std::string(e.what()) + " (" + display_ + ")");
        }
    }
}

void SmbTransport::connect() {
    if (connected_) return;
    const std::string unreachable = probe_tcp(location_.host, location_.port, timeout_);
    if (!unreachable.empty()) {
        const std::string hint = unreachable == "connection refused"
                                     ? "is the SMB server running, and is the port right?"
                                     : "is the host up, and is its port " + std::to_string(location_.port) + " open?";
        throw Error(ErrorCode::io, "cannot reach " + display_ + ": " + location_.host_and_port() + ": " +
                                       unreachable + " (" + hint + ")");
    }
    const std::string& user = context_->credentials().username;
    const std::string& domain = context_->credentials().domain;
    struct stat st {};
    int err = context_->stat(location_.libsmbclient_url({}, true), st);
    if (err == EACCES || err == EPERM)
        throw Error(ErrorCode::io,
                    "access denied to " + display_ + ": wrong username, password or domain, or " +
                        (user.empty() ? std::string("guests") : "user '" + user + "'") +
                        (domain.empty() ? std::string() : " of domain '" + domain + "'") + " may not use share '" +
                        location_.share + "'");
    if (err == ENOENT)
        throw Error(ErrorCode::io, "share '" + location_.share + "' does not exist on " + location_.host_and_port() +
                                       " (" + display_ + ")");
    if (err == ETIMEDOUT)
        throw Error(ErrorCode::io, "no answer from " + display_ + " within " + format_duration(timeout_) +
                                       " (a server that accepts connections but does not speak SMB?)");
    if (err) throw Error(ErrorCode::io, "cannot connect to " + display_ + ": " + std::strerror(err));
    if (!location_.folder.empty()) {
        err = context_->stat(url(), st);
        const std::string folder = location_.share_path().substr(location_.share.size() + 1);
        if (err == ENOENT)
            throw Error(ErrorCode::io, "folder '" + folder + "' does not exist in share '" + location_.share +
                                           "' (" + display_ + "): create it, or fix the url");
        if (err == EACCES || err == EPERM)
            throw Error(ErrorCode::io, "access denied to folder '" + folder + "' in share '" + location_.share +
                                           "' (" + display_ + ")");
        if (err)
            throw Error(ErrorCode::io,
                        "cannot open folder '" + folder + "' of " + display_ + ": " + std::strerror(err));
        if (!S_ISDIR(st.st_mode))
            throw Error(ErrorCode::io, "'" + folder + "' in share '" + location_.share + "' is not a folder (" +
                                           display_ + ")");
    }
    connected_ = true;
}

template <typename Request>
int SmbTransport::first_request(Request&& request) {
    connect();
    int err = request();
    if (!connection_was_lost(err)) return err;
    connected_ = false;
    connect();  // libsmbclient drops the dead connection and makes a new one
    return request();
}

std::vector<ObjectInfo> SmbTransport::list(std::string_view prefix) {
    const auto slash = prefix.rfind('/');
    const std::string folder = slash == std::string_view::npos ? "" : std::string(prefix.substr(0, slash));
    if (!folder.empty()) require_safe(folder);
    std::vector<ObjectInfo> out;
    std::vector<DirectoryEntry> entries;
    const int err = first_request([&] { return context_->list_folder(url(folder), entries); });
    walk(folder, prefix, err, entries, out);
    std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.name < b.name; });
    return out;
}

void SmbTransport::walk(const std::string& folder, std::string_view prefix, int err,
                        const std::vector<DirectoryEntry>& entries, std::vector<ObjectInfo>& out) {
    if (err == ENOENT && !folder.empty()) return;  // a folder not made yet holds nothing
    if (err) fail("cannot list " + (folder.empty() ? display_ : "folder '" + folder + "' of " + display_), err);
    for (const auto& e : entries) {
        const std::string name = join(folder, e.name);
        switch (e.kind) {
            case DirectoryEntry::Kind::folder:
                if (may_hold(name + "/", prefix)) {
                    std::vector<DirectoryEntry> inside;
                    walk(name, prefix, context_->list_folder(url(name), inside), inside, out);
                }
                break;
            case DirectoryEntry::Kind::file:
                // Only in folders we put into: those are the ones our puts clean.
                if (const auto put_folder = put_folders_.find(folder);
                    put_folder != put_folders_.end() && left_by_killed_put(e))
                    put_folder->second.leftovers.insert(e.name);
                if (plugin_common::is_temporary_name(e.name) || !name.starts_with(prefix)) break;
                out.push_back({name, e.size, to_system(e.modified)});
                break;
            case DirectoryEntry::Kind::link:   // never followed
            case DirectoryEntry::Kind::other:  // devices, pipes
                break;
        }
    }
}

void SmbTransport::remove_abandoned_temporaries(const std::string& folder) {
    const auto now = std::chrono::steady_clock::now();
    const auto [it, first_put] = put_folders_.try_emplace(folder);
    PutFolder& put_folder = it->second;
    if (first_put || now - put_folder.listed > plugin_common::stale_temporary_age) {
        std::vector<DirectoryEntry> entries;
        const int err = context_->list_folder(url(folder), entries);
        if (err) fail("cannot list folder '" + folder + "' of " + display_ + " before a put", err, false);
        for (const auto& e : entries)
            if (left_by_killed_put(e)) put_folder.leftovers.insert(e.name);
        put_folder.listed = now;
    }
    for (auto left = put_folder.leftovers.begin(); left != put_folder.leftovers.end();) {
        const int err = context_->unlink(url(join(folder, *left)));
        // Gone, or removed by another put first; otherwise tried again at the next put.
        left = err == 0 || err == ENOENT ? put_folder.leftovers.erase(left) : std::next(left);
    }
}

void SmbTransport::create_folders(const std::string& folder) {
    std::size_t end = 0;
    while (end < folder.size()) {
        end = std::min(folder.find('/', end + 1), folder.size());
        const std::string part = folder.substr(0, end);
        const int err = context_->mkdir(url(part));
        if (err && err != EEXIST) fail("cannot create folder '" + part + "' on " + display_, err, false);
    }
}

void SmbTransport::put(const std::filesystem::path& local_file, std::string_view name_view) {
    require_safe(name_view);
    const std::string name(name_view);
    const std::string what = "cannot put '" + name + "' on " + display_;
    LocalFile in(::open(local_file.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) throw_local_error(what, "read", local_file, errno);

    const auto slash = name.rfind('/');
    const std::string folder = slash == std::string::npos ? "" : name.substr(0, slash);
    // A fresh name: creating it again on a new connection changes nothing else.
    const std::string temp = join(folder, plugin_common::temporary_name_for(name.substr(slash + 1)));
    SmbContext::File out;
    int err = 0;
    try {
        err = first_request([&] { return context_->open(url(temp), O_WRONLY | O_CREAT | O_EXCL, out); });
    } catch (const Error& e) {  // the server cannot be reached again: say which put that cost
        throw Error(e.code(), what + ": " + e.what());
    }
    if (err == ENOENT) {  // a folder not made yet, or removed since
        create_folders(folder);
        err = context_->open(url(temp), O_WRONLY | O_CREAT | O_EXCL, out);
    }
    if (err) fail(what, err, false);
    try {
        remove_abandoned_temporaries(folder);  // connected now: a lost connection was replaced by the open
        std::vector<char> buffer(chunk_size);
        while (true) {
            const ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw_local_error(what, "read", local_file, errno);
            if (n == 0) break;
            err = out.write_all(buffer.data(), static_cast<std::size_t>(n));
            if (err) fail(what + " (write)", err, false);
        }
        // No flush in SMB's client API: the server makes the data durable.
        err = out.close();
        if (err) fail(what + " (close)", err, false);
    } catch (...) {
        out.close();
        context_->unlink(url(temp));
        throw;
    }
    rename_into_place(temp, name, what);
}

void SmbTransport::rename_into_place(const std::string& temp, const std::string& name, const std::string& what) {
    // libsmbclient's rename deletes an existing target, then renames; it
    // fails with EEXIST while another client holds the target open.
    int err = context_->rename(url(temp), url(name));
    if (err == EEXIST) err = replace_when_free(temp, name);
    if (err == 0) return;
    context_->unlink(url(temp));  // if this fails too, the next put into the folder removes it
    if (err == EEXIST)
        throw Error(ErrorCode::io, what + ": for " + format_duration(timeout_) +
                                       " the server refused to replace it (File exists): another client holds it "
                                       "open; the next sync tries again");
    fail(what + " (rename)", err, false);
}

int SmbTransport::replace_when_free(const std::string& temp, const std::string& name) {
    // A reader's download can take a while: try for the timeout, at random
    // moments (not in step with a reader's rhythm), each time only deleting
    // the target (refused with EBUSY while it is open), then renaming.
    static thread_local std::minstd_rand jitter(std::random_device{}());
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    auto longest_pause = first_rename_pause;
    int err = EEXIST;
    while (err == EEXIST && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::microseconds(jitter() % longest_pause.count()));
        longest_pause = std::min(longest_pause * 5 / 4, longest_rename_pause);
        err = context_->unlink(url(name));
        if (err == EBUSY) {
            err = EEXIST;
            continue;
        }
        if (err != 0 && err != ENOENT) return err;
        err = context_->rename(url(temp), url(name));  // EEXIST again when another writer was quicker
    }
    return err;
}

void SmbTransport::get(std::string_view name_view, const std::filesystem::path& local_file) {
    require_safe(name_view);
    const std::string name(name_view);
    const std::string what = "cannot get '" + name + "' from " + display_;
    SmbContext::File in;
    const int err = first_request([&] { return context_->open(url(name), O_RDONLY, in); });
    if (err) fail(what, err);
    LocalFile out(::open(local_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (out.get() < 0) throw_local_error(what, "write", local_file, errno);
    std::vector<char> buffer(chunk_size);
    while (true) {
        const ssize_t n = in.read(buffer.data(), buffer.size());
        if (n < 0) fail(what, static_cast<int>(-n), false);
        if (n == 0) break;
        write_all_local(out.get(), buffer.data(), static_cast<std::size_t>(n), local_file, what);
    }
    if (out.close() != 0) throw_local_error(what, "write", local_file, errno);
}

std::string SmbTransport::read_first_bytes(std::string_view name_view, std::size_t length) {
    require_safe(name_view);
    const std::string name(name_view);
    const std::string what = "cannot read '" + name + "' from " + display_;
    SmbContext::File in;
    const int err = first_request([&] { return context_->open(url(name), O_RDONLY, in); });
    if (err) fail(what, err);
    std::string out(length, '\0');
    std::size_t done = 0;
    while (done < length) {
        const ssize_t n = in.read(out.data() + done, std::min(length - done, chunk_size));
        if (n < 0) fail(what, static_cast<int>(-n), false);
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    out.resize(done);
    return out;
}

void SmbTransport::remove(std::string_view name_view) {
    require_safe(name_view);
    const std::string name(name_view);
    connect();
    const int err = context_->unlink(url(name));
    if (err) fail("cannot remove '" + name + "' from " + display_, err);
}

}  // namespace nas_sync::smb_transport
