#include "samba_server.hpp"

#include "local_ports.hpp"
#include "test_support.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace nas_sync::test {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string find_program(const std::string& name) {
    for (const char* dir : {"/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"})
        if (::access((fs::path(dir) / name).c_str(), X_OK) == 0) return (fs::path(dir) / name).string();
    throw std::runtime_error(name + " not found: install the Debian packages samba and smbclient "
                                    "(scripts/install-deps.sh does)");
}

std::string random_hex(int bytes) {
    std::random_device rd;
    std::string out;
    for (int i = 0; i < bytes; ++i) {
        char b[3];
        std::snprintf(b, sizeof b, "%02x", rd() & 0xff);
        out += b;
    }
    return out;
}

bool accepts_connections(int port) {
    const int fd = connect_local(port);
    if (fd >= 0) ::close(fd);
    return fd >= 0;
}

// The end of a log file (smbd's are short), for messages.
std::string read_log(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    const std::string text = s.str();
    return text.size() > 6000 ? "..." + text.substr(text.size() - 6000) : text;
}

// Waits for pid until `deadline`; true when it was reaped.
bool reap_before(pid_t pid, Clock::time_point deadline) {
    while (true) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) return true;
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

}  // namespace

SambaServer::SambaServer(std::string global_options, std::string share_options)
    : owner_(::getpid()), global_options_(std::move(global_options)), share_options_(std::move(share_options)) {
    char pattern[] = "/tmp/nas-sync-smbd-XXXXXX";
    if (!::mkdtemp(pattern)) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
    dir_ = pattern;
    share_root_ = dir_ / "share";
    for (const char* d : {"private", "lock", "state", "cache", "pid", "ncalrpc", "log", "share"})
        fs::create_directory(dir_ / d);
    password_ = "pw-" + random_hex(12);
    const struct passwd* user = ::geteuid() == 0 ? ::getpwnam("nobody") : ::getpwuid(::geteuid());
    if (!user) throw std::runtime_error("SambaServer: no Unix user for smbd (as root it uses 'nobody')");
    username_ = user->pw_name;
    uid_ = user->pw_uid;
    gid_ = user->pw_gid;
    // smbd, once it works as nobody, must reach the share through our folder.
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
    fs::permissions(dir_ / "private", fs::perms::owner_all);
    hand_over(share_root_);
    port_ = static_cast<std::uint16_t>(free_port());
    write_configuration();
    add_user();
    // Another process may take the free port before smbd binds it: then a new one.
    for (int attempt = 1;; ++attempt) {
        try {
            start();
            return;
        } catch (const std::runtime_error&) {
            if (attempt == 3 || running()) throw;
            port_ = static_cast<std::uint16_t>(free_port());
            write_configuration();
        }
    }
}

SambaServer::~SambaServer() {
    if (::getpid() != owner_) return;
    stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

std::string SambaServer::url(const fs::path& folder) const {
    const auto relative = folder.lexically_relative(share_root_).generic_string();
    if (relative.empty() || relative.starts_with(".."))
        throw std::logic_error("SambaServer::url: " + folder.string() + " is not under " + share_root_.string());
    return "smb://127.0.0.1:" + std::to_string(port_) + "/" + share_name + (relative == "." ? "" : "/" + relative);
}

void SambaServer::write_configuration() const {
    const std::string d = dir_.string();
    std::ofstream conf(dir_ / "smb.conf");
    conf << "[global]\n"
         << "  server role = standalone server\n"
         << "  workgroup = WORKGROUP\n"
         << "  netbios name = NASSYNCTEST\n"
         << "  interfaces = 127.0.0.1\n"
         << "  bind interfaces only = yes\n"
         << "  smb ports = " << port_ << "\n"
         << "  disable netbios = yes\n"
         << "  private dir = " << d << "/private\n"
         << "  lock directory = " << d << "/lock\n"
         << "  state directory = " << d << "/state\n"
         << "  cache directory = " << d << "/cache\n"
         << "  pid directory = " << d << "/pid\n"
         << "  ncalrpc dir = " << d << "/ncalrpc\n"
         << "  passdb backend = tdbsam:" << d << "/private/passdb.tdb\n"
         << "  log file = " << d << "/log/log.%m\n"
         << "  max log size = 0\n"
         << "  log level = 1\n"
         << "  map to guest = never\n"
         << "  load printers = no\n"
         << "  printing = bsd\n"
         << "  printcap name = /dev/null\n"
         << "  disable spoolss = yes\n"
         << "  rpc start on demand helpers = no\n"
         << global_options_
         << "[" << share_name << "]\n"
         << "  path = " << share_root_.string() << "\n"
         << "  read only = no\n"
         << "  follow symlinks = no\n"
         << "  wide links = no\n"
         << share_options_;
    if (!conf) throw std::runtime_error("cannot write " + (dir_ / "smb.conf").string());
}

void SambaServer::add_user() const {
    int input = -1;
    const pid_t pid = start_process({find_program("pdbedit"), "--configfile=" + (dir_ / "smb.conf").string(), "-a",
                                     "-t", "-u", username_},
                            dir_ / "log" / "pdbedit.out", input);
    const std::string twice = password_ + "\n" + password_ + "\n";
    [[maybe_unused]] const ssize_t written = ::write(input, twice.data(), twice.size());
    ::close(input);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error("pdbedit could not add the Samba user '" + username_ +
                                 "': " + read_log(dir_ / "log" / "pdbedit.out"));
}

void SambaServer::start() {
    if (pid_ > 0) return;
    pid_ = start_process({find_program("smbd"), "--foreground", "--debug-stdout", "--debuglevel=1",
                          "--configfile=" + (dir_ / "smb.conf").string()},
                         dir_ / "log" / "smbd.out", stdin_);
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (!accepts_connections(port_)) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = 0;
            ::close(std::exchange(stdin_, -1));
            throw std::runtime_error("smbd exited before it listened on port " + std::to_string(port_) + ": " + log());
        }
        if (Clock::now() > deadline) {
            kill();
            throw std::runtime_error("smbd did not listen on port " + std::to_string(port_) +
                                     " within 20 s: " + log());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void SambaServer::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);  // smbd passes it on to its process group
    if (!reap_before(pid_, Clock::now() + std::chrono::seconds(5))) {
        kill();
        return;
    }
    pid_ = 0;
    ::close(std::exchange(stdin_, -1));
}

void SambaServer::kill() {
    if (pid_ <= 0) return;
    // smbd leads its own process group (it calls setsid()): the group holds
    // it and the processes that serve each connection, and nothing of ours.
    if (::getpgid(pid_) == pid_)
        ::kill(-pid_, SIGKILL);
    else
        ::kill(pid_, SIGKILL);
    reap_before(pid_, Clock::now() + std::chrono::seconds(10));
    pid_ = 0;
    ::close(std::exchange(stdin_, -1));
}

std::string SambaServer::log() const { return read_log(dir_ / "log" / "smbd.out"); }

void SambaServer::hand_over(const fs::path& path) const {
    if (::geteuid() != 0) return;
    if (::lchown(path.c_str(), uid_, gid_) != 0)
        throw std::runtime_error("cannot hand " + path.string() + " to " + username_ + ": " + std::strerror(errno));
}

SambaServer& process_samba_server() {
    static SambaServer server;
    return server;
}

}  // namespace nas_sync::test
