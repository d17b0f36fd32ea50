#include "smb_context.hpp"

#include <nas_sync/error.hpp>

#include <libsmbclient.h>

#include <pthread.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <utility>

namespace nas_sync::smb_transport {

namespace {

std::mutex& libsmbclient_lock() {
    static std::mutex lock;
    return lock;
}

// libsmbclient writes to sockets without MSG_NOSIGNAL, and blocks SIGPIPE
// only in the thread that created the first context. It stops writing to a
// connection after its first error, so no test has seen it raise SIGPIPE;
// should it ever, that would end a long-running `nas-sync run`. So each call
// blocks SIGPIPE in its own thread and takes back one it raised, leaving the
// process's handling of SIGPIPE as it was.
class SigpipeBlocked {
public:
    SigpipeBlocked() {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        sigset_t pending;
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
    }
    ~SigpipeBlocked() {
        if (!was_pending_) {
            sigset_t pending;
            sigpending(&pending);
            if (sigismember(&pending, SIGPIPE) == 1) {
                const struct timespec no_wait {};
                sigtimedwait(&pipe_, nullptr, &no_wait);
            }
        }
        pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
    }
    SigpipeBlocked(const SigpipeBlocked&) = delete;
    SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

private:
    sigset_t pipe_{};
    sigset_t previous_{};
    bool was_pending_ = false;
};

// Runs one libsmbclient call under the lock; returns its result, with errno
// (read under the lock) in `err` when it failed.
template <typename Call>
auto locked(int& err, Call&& call) {
    std::lock_guard lock(libsmbclient_lock());
    SigpipeBlocked no_sigpipe;
    errno = 0;
    auto result = call();
    err = errno;
    return result;
}

void copy_into(char* buffer, int size, const std::string& value) {
    if (size <= 0) return;
    std::snprintf(buffer, static_cast<std::size_t>(size), "%s", value.c_str());
}

// libsmbclient asks for credentials through this, for every new connection.
void give_credentials(SMBCCTX* context, const char* /*server*/, const char* /*share*/, char* workgroup,
                      int workgroup_size, char* username, int username_size, char* password, int password_size) {
    const auto* credentials = static_cast<const Credentials*>(smbc_getOptionUserData(context));
    if (!credentials) return;
    if (!credentials->domain.empty()) copy_into(workgroup, workgroup_size, credentials->domain);
    copy_into(username, username_size, credentials->username);
    copy_into(password, password_size, credentials->password);
}

// Its log lines would land on our standard output (and in `--json` output):
// errors reach us as errno values instead.
void drop_log_line(void* /*private_ptr*/, int /*level*/, const char* /*message*/) {}

// FILE_ATTRIBUTE_REPARSE_POINT: a symbolic link or junction on a Windows server.
constexpr unsigned reparse_point_attribute = 0x400;

}  // namespace

SmbContext::SmbContext(Credentials credentials, std::chrono::milliseconds timeout)
    : credentials_(std::move(credentials)) {
    int err = 0;
    context_ = locked(err, [&]() -> SMBCCTX* {
        SMBCCTX* c = smbc_new_context();
        if (!c) return nullptr;
        smbc_setDebug(c, 0);
        smbc_setLogCallback(c, nullptr, drop_log_line);
        smbc_setOptionUserData(c, &credentials_);
        smbc_setFunctionAuthDataWithContext(c, give_credentials);
        // A wrong password must fail, not quietly fall back to a guest connection.
        smbc_setOptionNoAutoAnonymousLogin(c, !credentials_.username.empty());
        smbc_setOptionUseCCache(c, false);
        smbc_setOptionUseKerberos(c, false);
        const auto ms = std::min<std::chrono::milliseconds::rep>(timeout.count(), INT_MAX);
        smbc_setTimeout(c, static_cast<int>(ms));
        if (!smbc_init_context(c)) {
            const int init_err = errno;
            smbc_free_context(c, 1);
            errno = init_err;
            return nullptr;
        }
        return c;
    });
    if (!context_)
        throw Error(ErrorCode::io, std::string("libsmbclient cannot start (check the client configuration, "
                                               "/etc/samba/smb.conf): ") +
                                       std::strerror(err ? err : ENOMEM));
}

SmbContext::~SmbContext() {
    int err = 0;
    locked(err, [&] { return smbc_free_context(context_, 1); });
}

int SmbContext::stat(const std::string& url, struct stat& out) {
    int err = 0;
    const int rc = locked(err, [&] { return smbc_getFunctionStat(context_)(context_, url.c_str(), &out); });
    return rc < 0 ? (err ? err : EIO) : 0;
}

int SmbContext::mkdir(const std::string& url) {
    int err = 0;
    const int rc = locked(err, [&] { return smbc_getFunctionMkdir(context_)(context_, url.c_str(), 0755); });
    return rc < 0 ? (err ? err : EIO) : 0;
}

int SmbContext::unlink(const std::string& url) {
    int err = 0;
    const int rc = locked(err, [&] { return smbc_getFunctionUnlink(context_)(context_, url.c_str()); });
    return rc < 0 ? (err ? err : EIO) : 0;
}

int SmbContext::rename(const std::string& from, const std::string& to) {
    int err = 0;
    const int rc = locked(
        err, [&] { return smbc_getFunctionRename(context_)(context_, from.c_str(), context_, to.c_str()); });
    return rc < 0 ? (err ? err : EIO) : 0;
}

int SmbContext::list_folder(const std::string& url, std::vector<DirectoryEntry>& out) {
    out.clear();
    int err = 0;
    // libsmbclient reads the whole listing when the folder is opened; the
    // entries are then copied out under the same lock.
    const bool ok = locked(err, [&] {
        SMBCFILE* dir = smbc_getFunctionOpendir(context_)(context_, url.c_str());
        if (!dir) return false;
        struct stat st {};
        while (const struct libsmb_file_info* info = smbc_getFunctionReaddirPlus2(context_)(context_, dir, &st)) {
            const std::string name = info->name ? info->name : "";
            if (name.empty() || name == "." || name == "..") continue;
            DirectoryEntry e;
            e.name = name;
            if ((info->attrs & reparse_point_attribute) != 0 || S_ISLNK(st.st_mode))
                e.kind = DirectoryEntry::Kind::link;
            else if (S_ISDIR(st.st_mode))
                e.kind = DirectoryEntry::Kind::folder;
            else if (S_ISREG(st.st_mode))
                e.kind = DirectoryEntry::Kind::file;
            e.size = static_cast<std::uint64_t>(st.st_size);
            e.modified = st.st_mtim;
            out.push_back(std::move(e));
            st = {};
        }
        errno = 0;
        smbc_getFunctionClosedir(context_)(context_, dir);
        return true;
    });
    return ok ? 0 : (err ? err : EIO);
}

int SmbContext::open(const std::string& url, int flags, File& out) {
    int err = 0;
    SMBCFILE* file = locked(err, [&] { return smbc_getFunctionOpen(context_)(context_, url.c_str(), flags, 0644); });
    if (!file) return err ? err : EIO;
    out.close();
    out.context_ = this;
    out.file_ = file;
    return 0;
}

SmbContext::File::File(File&& other) noexcept
    : context_(std::exchange(other.context_, nullptr)), file_(std::exchange(other.file_, nullptr)) {}

SmbContext::File::~File() {
    if (file_) close();
}

ssize_t SmbContext::File::read(void* buffer, std::size_t size) {
    int err = 0;
    SMBCCTX* c = context_->context_;
    const ssize_t n = locked(err, [&] { return smbc_getFunctionRead(c)(c, file_, buffer, size); });
    return n < 0 ? -(err ? err : EIO) : n;
}

int SmbContext::File::write_all(const void* data, std::size_t size) {
    SMBCCTX* c = context_->context_;
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        int err = 0;
        const ssize_t n = locked(err, [&] { return smbc_getFunctionWrite(c)(c, file_, p, size); });
        if (n < 0) return err ? err : EIO;
        if (n == 0) return EIO;
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return 0;
}

int SmbContext::File::close() {
    if (!file_) return 0;
    int err = 0;
    SMBCCTX* c = context_->context_;
    const int rc = locked(err, [&] { return smbc_getFunctionClose(c)(c, std::exchange(file_, nullptr)); });
    return rc < 0 ? (err ? err : EIO) : 0;
}

}  // namespace nas_sync::smb_transport
