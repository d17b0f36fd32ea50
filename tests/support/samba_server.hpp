// SambaServer: a real smbd for tests, on 127.0.0.1 and a free port, with a
// throwaway configuration, user database, state and share folder in its own
// temporary folder; nothing of the machine's Samba setup is read or changed.
//
// The share `nas` serves share_root(). Its user logs in with a password made
// for this server. smbd's user must own what it writes: as root, that is the
// existing system user `nobody` (smbd, running as root, works as nobody after
// the login; share_root() is handed to nobody); as anyone else, smbd runs as
// that user and the Samba user is the same one.
//
// The share is set up as docs/smb.md recommends: `follow symlinks = no`.
//
// smbd runs in the foreground in its own process group, with a pipe we hold
// as its standard input (it stops at the end of input). It is stopped by its
// own pid (SIGTERM, then SIGKILL), and kill() ends it and its per-connection
// processes at once, as a crash would; start() brings it back on the same
// port with the same folders.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace nas_sync::test {

class SambaServer {
public:
    // Sets up the folder and starts smbd; throws std::runtime_error (with
    // smbd's log) when it cannot. `global_options` and `share_options`
    // (smb.conf lines) are added to the [global] and share sections.
    explicit SambaServer(std::string global_options = "", std::string share_options = "");
    ~SambaServer();
    SambaServer(const SambaServer&) = delete;
    SambaServer& operator=(const SambaServer&) = delete;

    const std::filesystem::path& share_root() const { return share_root_; }
    static constexpr const char* share_name = "nas";
    std::uint16_t port() const { return port_; }
    const std::string& username() const { return username_; }
    const std::string& password() const { return password_; }
    // smb://127.0.0.1:PORT/nas/<folder relative to share_root()>; folder must lie under share_root().
    std::string url(const std::filesystem::path& folder) const;

    void start();  // when stopped; waits until it accepts connections
    void stop();   // SIGTERM, SIGKILL after 5 s; reaped
    void kill();   // SIGKILL to smbd and every process of its group, reaped
    bool running() const { return pid_ > 0; }
    // What smbd wrote, for a failing test's message.
    std::string log() const;
    // Gives a folder or file this process made under share_root() to smbd's user.
    void hand_over(const std::filesystem::path& path) const;

private:
    void write_configuration() const;
    void add_user() const;

    pid_t owner_ = 0;  // the process that started it (a forked child must not stop it)
    std::string global_options_;
    std::string share_options_;
    std::filesystem::path dir_;
    std::filesystem::path share_root_;
    std::uint16_t port_ = 0;
    std::string username_;
    std::string password_;
    uid_t uid_ = 0;
    gid_t gid_ = 0;
    pid_t pid_ = 0;
    int stdin_ = -1;  // the write end of smbd's standard input
};

// The one smbd of this test process, started at first use, stopped at exit.
SambaServer& process_samba_server();

}  // namespace nas_sync::test
