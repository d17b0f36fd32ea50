// The `smb` transport against a real smbd (tests/support/samba_server.hpp):
// what goes wrong reaching a share (wrong password, closed port, a host that
// does not answer, missing share or folder) is Error(io) naming the URL and
// never the password; malformed URLs are configuration errors; leftovers of
// killed writers are cleaned up; a target held open by another client delays
// a put, or fails it cleanly; symbolic links on the share are not followed;
// a server that is killed and restarted is used again.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <fstream>
#include <thread>

#include "plugins/plugin_registry.hpp"
#include "samba_server.hpp"
#include "share_folder.hpp"
#include "test_support.hpp"

using namespace nas_sync;
using namespace nas_sync::test;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

const PluginRegistry& registry() {
    static const PluginRegistry r({build_plugin_dir()});
    return r;
}

std::shared_ptr<Transport> smb_transport(const std::map<std::string, std::string>& options) {
    PluginSection s;
    s.plugin = "smb";
    s.key = "transport";
    for (const auto& [k, v] : options) s.options[k] = RawOption{v, {}};
    return registry().make_transport(s, ".");
}

// The transport on `folder` of `server` with its user, and any option changed.
std::shared_ptr<Transport> transport_on(const SambaServer& server, const fs::path& folder,
                                        std::map<std::string, std::string> changed = {}) {
    std::map<std::string, std::string> o{
        {"url", server.url(folder)}, {"username", server.username()}, {"password", server.password()}};
    for (const auto& [k, v] : changed) o[k] = v;
    return smb_transport(o);
}

// How a URL appears in describe() and messages.
// `folder`: relative to the share's top.
std::string display(const std::string& user, std::uint16_t port, const std::string& folder) {
    return "smb://" + user + "@127.0.0.1:" + std::to_string(port) + "/" + SambaServer::share_name + "/" + folder;
}

struct Failure {
    ErrorCode code = ErrorCode::internal;
    std::string message;
    double seconds = 0;
};

Failure failure_of(const std::function<void()>& f) {
    const auto start = Clock::now();
    try {
        f();
    } catch (const Error& e) {
        return {e.code(), e.what(), std::chrono::duration<double>(Clock::now() - start).count()};
    }
    FAIL("no error was thrown");
    return {};
}

// A listening socket on 127.0.0.1 that never accepts. With `fill_queue`,
// its queue of pending connections is full, so the kernel drops new ones
// as an unreachable host does; without, connections are made but nothing
// ever answers, as a server that does not speak SMB.
class SilentListener {
public:
    explicit SilentListener(bool fill_queue) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(fd_, fill_queue ? 0 : 16) == 0);
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
        port_ = ntohs(a.sin_port);
        for (int i = 0; fill_queue && i < 4; ++i) {
            const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            [[maybe_unused]] const int rc = ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
            fillers_.push_back(c);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the fillers' handshakes
    }
    ~SilentListener() {
        for (int c : fillers_) ::close(c);
        ::close(fd_);
    }
    std::uint16_t port() const { return port_; }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::vector<int> fillers_;
};

// A port nothing listens on.
std::uint16_t closed_port() {
    const SilentListener gone(false);
    return gone.port();
}

// Another SMB client (smbclient, its own process and connection) that holds
// a file of the share open until released, as a reader in another office
// would.
class HeldOpen {
public:
    HeldOpen(const SambaServer& server, const std::string& name, const fs::path& log) : log_(log) {
        pid_ = start_process({"/usr/bin/stdbuf", "-oL", "/usr/bin/smbclient", "-p", std::to_string(server.port()),
                              std::string("//127.0.0.1/") + SambaServer::share_name, "-U",
                              server.username() + "%" + server.password()},
                             log, input_);
        send("open " + name + "\n");
        const auto deadline = Clock::now() + std::chrono::seconds(20);
        while (read_file(log).find("fnum") == std::string::npos) {
            REQUIRE_MESSAGE(Clock::now() < deadline, "smbclient did not open " << name << ": " << read_file(log));
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    ~HeldOpen() { release(); }
    void release() {
        if (pid_ <= 0) return;
        send("close 1\nquit\n");
        ::close(input_);
        int status = 0;
        ::waitpid(std::exchange(pid_, 0), &status, 0);
    }

private:
    void send(const std::string& line) {
        [[maybe_unused]] const ssize_t n = ::write(input_, line.data(), line.size());
    }
    fs::path log_;
    pid_t pid_ = 0;
    int input_ = -1;
};

std::string host_tag() {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    std::string tag;
    for (const char* p = host; *p; ++p) tag += (std::isalnum(static_cast<unsigned char>(*p)) || *p == '-') ? *p : '_';
    return tag;
}

}  // namespace

TEST_CASE("smb: describe() is smb://user@host:port/share/folder, without the password") {
    auto& server = process_samba_server();
    const ShareFolder folder("", ShareAccess::smb);
    const auto transport = transport_on(server, folder.path());
    const std::string relative = folder.path().filename().string();
    CHECK(transport->describe() == display(server.username(), server.port(), relative));
    CHECK(transport->describe().find(server.password()) == std::string::npos);
    // The default port shows too, and a folder with a space is written as it is named.
    const auto elsewhere = smb_transport({{"url", "smb://nas.office.lan/shared/app%20db/"}, {"username", "office"},
                                          {"password", "not-shown-anywhere"}});
    CHECK(elsewhere->describe() == "smb://office@nas.office.lan:445/shared/app db");
}

TEST_CASE("smb: a local file that cannot be read or written is Error(io), never not_found, naming the URL") {
    auto& server = process_samba_server();
    const ShareFolder folder("", ShareAccess::smb);
    const auto transport = transport_on(server, folder.path());
    TempDir local;
    const auto put = failure_of([&] { transport->put(local / "missing", "client-A.sqlite"); });
    CHECK(put.code == ErrorCode::io);
    CHECK_MESSAGE(put.message.find("cannot put 'client-A.sqlite' on " + transport->describe() +
                                   ": cannot read local file") != std::string::npos, put.message);
    write_file(local / "a", "x");
    transport->put(local / "a", "client-A.sqlite");
    const auto get = failure_of([&] { transport->get("client-A.sqlite", local / "no-such-folder" / "copy"); });
    CHECK(get.code == ErrorCode::io);
    CHECK_MESSAGE(get.message.find("cannot get 'client-A.sqlite' from " + transport->describe() +
                                   ": cannot write local file") != std::string::npos, get.message);
    CHECK(transport->list("").size() == 1);
}

TEST_CASE("smb: a wrong password, a guest, a missing share or folder: Error(io) naming the URL, never the password") {
    auto& server = process_samba_server();
    const ShareFolder folder("", ShareAccess::smb);
    const std::string relative = folder.path().filename().string();
    const std::string url = display(server.username(), server.port(), relative);

    SUBCASE("wrong password") {
        const auto f =
            failure_of([&] { transport_on(server, folder.path(), {{"password", "wrong-Pa55word"}})->list(""); });
        CHECK(f.code == ErrorCode::io);
        CHECK_MESSAGE(f.message.find("access denied to " + url + ": wrong username, password or domain") !=
                          std::string::npos, f.message);
        CHECK(f.message.find("wrong-Pa55word") == std::string::npos);
        CHECK(f.message.find(server.password()) == std::string::npos);
    }
    SUBCASE("no user: a guest, which the server refuses") {
        const auto f = failure_of([&] { smb_transport({{"url", server.url(folder.path())}})->list(""); });
        CHECK(f.code == ErrorCode::io);
        CHECK_MESSAGE(f.message.find("access denied to smb://127.0.0.1:") != std::string::npos, f.message);
        CHECK(f.message.find("guests may not use share 'nas'") != std::string::npos);
    }
    SUBCASE("missing share") {
        const std::string other = "smb://127.0.0.1:" + std::to_string(server.port()) + "/no-such-share/x";
        const auto f = failure_of([&] { transport_on(server, folder.path(), {{"url", other}})->get("a", "b"); });
        CHECK(f.code == ErrorCode::io);
        CHECK_MESSAGE(f.message.find("share 'no-such-share' does not exist on 127.0.0.1:" +
                                     std::to_string(server.port())) != std::string::npos, f.message);
        CHECK(f.message.find("smb://" + server.username() + "@127.0.0.1:" + std::to_string(server.port()) +
                             "/no-such-share/x") != std::string::npos);
        CHECK(f.message.find(server.password()) == std::string::npos);
    }
    SUBCASE("missing folder") {
        const auto f = failure_of([&] { transport_on(server, folder.path() / "not" / "made")->list(""); });
        CHECK(f.code == ErrorCode::io);
        CHECK_MESSAGE(f.message.find("folder '" + relative + "/not/made' does not exist in share 'nas' (" + url +
                                     "/not/made)") != std::string::npos, f.message);
        CHECK(f.message.find(server.password()) == std::string::npos);
    }
    SUBCASE("a file where the folder should be") {
        write_file(folder.path() / "file", "x");
        const auto f = failure_of([&] { transport_on(server, folder.path() / "file")->list(""); });
        CHECK(f.code == ErrorCode::io);
        CHECK_MESSAGE(f.message.find("is not a folder") != std::string::npos, f.message);
    }
}

TEST_CASE("smb: an unreachable server fails within about the timeout, naming the URL") {
    auto& server = process_samba_server();
    const ShareFolder folder("", ShareAccess::smb);
    const std::string relative = folder.path().filename().string();
    const std::string path = SambaServer::share_name + std::string("/") + relative;

    SUBCASE("a closed port: refused at once") {
        const auto port = closed_port();
        const std::string url = "smb://127.0.0.1:" + std::to_string(port) + "/" + path;
        const auto f =
            failure_of([&] { transport_on(server, folder.path(), {{"url", url}, {"timeout", "5s"}})->list(""); });
        CHECK(f.code == ErrorCode::io);
        CHECK_MESSAGE(f.message.find("cannot reach " + display(server.username(), port, relative) +
                                     ": 127.0.0.1:" + std::to_string(port) + ": connection refused") !=
                          std::string::npos, f.message);
        CHECK(f.seconds < 5);
    }
    SUBCASE("a host that drops connection attempts") {
        const SilentListener unreachable(true);
        const std::string url = "smb://127.0.0.1:" + std::to_string(unreachable.port()) + "/" + path;
        const auto f =
            failure_of([&] { transport_on(server, folder.path(), {{"url", url}, {"timeout", "1s"}})->list(""); });
        CHECK(f.code == ErrorCode::io);
        CHECK_MESSAGE(f.message.find("no answer within 1s") != std::string::npos, f.message);
        CHECK(f.message.find(display(server.username(), unreachable.port(), relative)) != std::string::npos);
        CHECK(f.seconds >= 0.9);
        CHECK(f.seconds < 4);  // loosely: the timeout, not libsmbclient's own connect wait
    }
    SUBCASE("a server that accepts connections and never answers") {
        const SilentListener silent(false);
        const std::string url = "smb://127.0.0.1:" + std::to_string(silent.port()) + "/" + path;
        const auto f =
            failure_of([&] { transport_on(server, folder.path(), {{"url", url}, {"timeout", "1s"}})->list(""); });
        CHECK(f.code == ErrorCode::io);
        const std::string expected =
            "no answer from " + display(server.username(), silent.port(), relative) + " within 1s";
        CHECK_MESSAGE(f.message.find(expected) != std::string::npos, f.message);
        CHECK(f.seconds >= 0.9);
        CHECK(f.seconds < 4);
    }
}

TEST_CASE("smb: malformed URLs and options are configuration errors naming the option") {
    for (const std::string url :
         {"http://nas/shared", "smb://", "smb:///shared", "smb://nas", "smb://nas/", "smb://nas:0/shared",
          "smb://nas:65536/shared", "smb://nas:44x/shared", "smb://nas:/shared", "smb://na s/shared",
          "smb://nas/shared/../up", "smb://nas/shared//twice", "smb://nas/shared/./here", "smb://nas/sh?ared",
          "smb://nas/shared/a:b", "smb://nas/shared/%zz", "smb://[::1]/shared", "smb://[fd00::20]:445/shared",
          "smb://nas/shared/back\\slash"}) {
        CAPTURE(url);
        const auto f = failure_of([&] { smb_transport({{"url", url}}); });
        CHECK(f.code == ErrorCode::config);
        CHECK_MESSAGE(f.message.find("option 'url'") != std::string::npos, f.message);
    }
    // A password written into the URL is refused without being repeated.
    const auto f = failure_of([&] { smb_transport({{"url", "smb://office:Secret-42@nas/shared"}}); });
    CHECK(f.code == ErrorCode::config);
    CHECK(f.message.find("option 'url'") != std::string::npos);
    CHECK(f.message.find("Secret-42") == std::string::npos);
    CHECK(f.message.find("give them in the options 'username' and 'password'") != std::string::npos);

    const auto no_user = failure_of([&] { smb_transport({{"url", "smb://nas/shared"}, {"password", "x"}}); });
    CHECK(no_user.code == ErrorCode::config);
    CHECK(no_user.message.find("option 'username'") != std::string::npos);
    const auto no_time = failure_of([&] { smb_transport({{"url", "smb://nas/shared"}, {"timeout", "0s"}}); });
    CHECK(no_time.code == ErrorCode::config);
    CHECK(no_time.message.find("option 'timeout'") != std::string::npos);
    // Share names such as C$ are fine.
    CHECK(smb_transport({{"url", "smb://192.168.1.20:4445/C$/a"}})->describe() == "smb://192.168.1.20:4445/C$/a");
}

TEST_CASE("smb: folders and names are sent exactly, spaces and all") {
    auto& server = process_samba_server();
    const ShareFolder folder("", ShareAccess::smb);
    fs::create_directory(folder.path() / "office files #1");
    server.hand_over(folder.path() / "office files #1");
    TempDir local;
    write_file(local / "a", "hello");
    auto url = server.url(folder.path()) + "/office%20files%20%231";
    const auto transport = transport_on(server, folder.path(), {{"url", url}});
    transport->put(local / "a", "journal/A/000001.seg");
    CHECK(read_file(folder.path() / "office files #1" / "journal" / "A" / "000001.seg") == "hello");
    REQUIRE(transport->list("journal/").size() == 1);
    CHECK(transport->describe().ends_with("/office files #1"));
}

TEST_CASE("smb: temporary files are not listed; a dead writer's are removed by the next put into their folder") {
    auto& server = process_samba_server();
    const ShareFolder folder("", ShareAccess::smb);
    const auto transport = transport_on(server, folder.path());
    TempDir local;
    write_file(local / "a", "x");
    transport->put(local / "a", "journal/A/000001.seg");  // makes the folders, as smbd's user

    const fs::path journal = folder.path() / "journal" / "A";
    const auto dead = journal / (".000002.seg." + host_tag() + ".999999999.0123456789abcdef.nstmp");
    const auto alive =
        journal / (".000003.seg." + host_tag() + "." + std::to_string(::getpid()) + ".0123456789abcdef.nstmp");
    const auto other_fresh = journal / ".000004.seg.another-pc.4242.0123456789abcdef.nstmp";
    const auto other_old = journal / ".000005.seg.another-pc.4243.0123456789abcdef.nstmp";
    const auto elsewhere = folder.path() / (".client-A.sqlite." + host_tag() + ".999999999.0123456789abcdef.nstmp");
    for (const auto& f : {dead, alive, other_fresh, other_old, elsewhere}) write_file(f, "left by a killed put");
    fs::last_write_time(other_old, fs::file_time_type::clock::now() - std::chrono::hours(2));

    CHECK(transport->list("").size() == 1);  // none of them listed
    transport->put(local / "a", "journal/A/000006.seg");
    CHECK_FALSE(fs::exists(dead));
    CHECK_FALSE(fs::exists(other_old));
    CHECK(fs::exists(alive));        // a put in progress here
    CHECK(fs::exists(other_fresh));  // maybe a put in progress on another computer
    CHECK(fs::exists(elsewhere));    // another folder: its own next put cleans it
    transport->put(local / "a", "client-A.sqlite");
    CHECK_FALSE(fs::exists(elsewhere));
}

TEST_CASE("smb: a put whose target another client holds open waits for it, or fails cleanly after the timeout") {
    auto& server = process_samba_server();
    const ShareFolder folder("", ShareAccess::smb);
    TempDir local;
    write_file(local / "old", "old content");
    write_file(local / "new", "new content");
    const std::string held = folder.path().filename().string() + "/client-A.sqlite";

    SUBCASE("held for longer than the timeout: Error(io), the old object intact, no temporary file left") {
        const auto transport = transport_on(server, folder.path(), {{"timeout", "1s"}});
        transport->put(local / "old", "client-A.sqlite");
        const HeldOpen reader(server, held, local / "smbclient.log");
        const auto f = failure_of([&] { transport->put(local / "new", "client-A.sqlite"); });
        CHECK(f.code == ErrorCode::io);
        CHECK_MESSAGE(f.message.find("cannot put 'client-A.sqlite' on " + transport->describe() +
                                     ": for 1s the server refused to replace it (File exists): another client holds "
                                     "it open") != std::string::npos, f.message);
        CHECK(f.seconds < 5);
        CHECK(read_file(folder.path() / "client-A.sqlite") == "old content");
        std::vector<std::string> left;
        for (const auto& e : fs::directory_iterator(folder.path())) left.push_back(e.path().filename().string());
        CHECK(left == std::vector<std::string>{"client-A.sqlite"});
    }
    SUBCASE("released during the put: the put succeeds") {
        const auto transport = transport_on(server, folder.path(), {{"timeout", "20s"}});
        transport->put(local / "old", "client-A.sqlite");
        HeldOpen reader(server, held, local / "smbclient.log");
        std::thread release([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            reader.release();
        });
        const auto start = Clock::now();
        transport->put(local / "new", "client-A.sqlite");
        release.join();
        CHECK(Clock::now() - start >= std::chrono::milliseconds(400));  // it did wait for the reader
        CHECK(read_file(folder.path() / "client-A.sqlite") == "new content");
        CHECK(transport->list("").size() == 1);
    }
}

TEST_CASE("smb: symbolic links on the share are neither listed nor read (server: follow symlinks = no)") {
    auto& server = process_samba_server();
    const ShareFolder folder("", ShareAccess::smb);
    const auto transport = transport_on(server, folder.path());
    TempDir local;
    write_file(local / "a", "a real object");
    transport->put(local / "a", "client-A.sqlite");
    write_file(local / "outside.sqlite", "outside the share");
    fs::create_symlink(folder.path() / "client-A.sqlite", folder.path() / "client-L.sqlite");
    fs::create_symlink(local / "outside.sqlite", folder.path() / "client-O.sqlite");
    fs::create_directory_symlink(local.path(), folder.path() / "journal");
    const auto all = transport->list("");
    REQUIRE(all.size() == 1);
    CHECK(all[0].name == "client-A.sqlite");
    for (const char* link : {"client-L.sqlite", "client-O.sqlite"}) {
        CAPTURE(link);
        CHECK(failure_of([&] { transport->get(link, local / "copy"); }).code == ErrorCode::not_found);
        CHECK(failure_of([&] { transport->read_first_bytes(link, 16); }).code == ErrorCode::not_found);
    }
}

TEST_CASE("smb: while smbd is down calls fail with Error(io) naming the URL; once it is back they work again") {
    SambaServer server;
    const fs::path folder = server.share_root();
    const auto transport = smb_transport({{"url", server.url(folder)}, {"username", server.username()},
                                          {"password", server.password()}, {"timeout", "2s"}});
    TempDir local;
    write_file(local / "a", "before");
    transport->put(local / "a", "client-A.sqlite");

    SUBCASE("calls while it is down fail") {
        server.kill();
        for (int call = 0; call < 2; ++call) {
            const auto f = failure_of([&] { transport->list(""); });
            CHECK(f.code == ErrorCode::io);
            CHECK_MESSAGE(f.message.find(transport->describe()) != std::string::npos, f.message);
            CHECK(f.message.find(server.password()) == std::string::npos);
        }
        const auto f = failure_of([&] { transport->put(local / "a", "client-A.sqlite"); });
        CHECK(f.code == ErrorCode::io);
        CHECK_MESSAGE(f.message.find("cannot reach " + transport->describe()) != std::string::npos, f.message);
        server.start();
    }
    SUBCASE("a restart between two calls goes unnoticed (the dead connection is replaced at once)") {
        server.kill();
        server.start();
    }
    transport->get("client-A.sqlite", local / "copy");
    CHECK(read_file(local / "copy") == "before");
    write_file(local / "a", "after");
    transport->put(local / "a", "client-A.sqlite");
    CHECK(read_file(folder / "client-A.sqlite") == "after");
    CHECK(transport->list("").size() == 1);
}

TEST_CASE("smb: a wrong password fails even where the share admits guests (no quiet fallback to a guest login)") {
    SambaServer server("  map to guest = bad user\n", "  guest ok = yes\n");
    const auto guest = smb_transport({{"url", server.url(server.share_root())}});
    CHECK(guest->list("").empty());  // the share does admit guests
    const auto f = failure_of([&] {
        smb_transport({{"url", server.url(server.share_root())}, {"username", server.username()},
                       {"password", "wrong-Pa55word"}})
            ->list("");
    });
    CHECK(f.code == ErrorCode::io);
    CHECK_MESSAGE(f.message.find("access denied to") != std::string::npos, f.message);
}

TEST_CASE("smb: a server dying during a large put fails it with Error(io), also in a thread letting SIGPIPE through") {
    SambaServer server;
    const auto transport = smb_transport({{"url", server.url(server.share_root())}, {"username", server.username()},
                                          {"password", server.password()}, {"timeout", "5s"}});
    TempDir local;
    {
        std::ofstream big(local / "big", std::ios::binary);
        const std::string mib(1 << 20, 'x');
        for (int i = 0; i < 64; ++i) big << mib;
    }
    transport->list("");  // connected
    Failure f;
    std::thread writer([&] {
        // As a thread that never blocked SIGPIPE (libsmbclient blocks it only
        // in the thread that made the first context).
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        pthread_sigmask(SIG_UNBLOCK, &pipe, nullptr);
        f = failure_of([&] { transport->put(local / "big", "client-A.sqlite"); });
    });
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    auto temp_has_data = [&] {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(server.share_root(), ec))
            if (e.path().filename().string().ends_with(".nstmp") && e.file_size(ec) > (8 << 20)) return true;
        return false;
    };
    while (!temp_has_data() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    server.kill();
    writer.join();
    CHECK(f.code == ErrorCode::io);
    CHECK_MESSAGE(f.message.find("cannot put 'client-A.sqlite' on " + transport->describe()) != std::string::npos,
                  f.message);
}
