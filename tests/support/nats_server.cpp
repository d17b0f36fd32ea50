#include "nats_server.hpp"

#include <nats/nats.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <random>
#include <stdexcept>
#include <thread>

namespace nas_sync::test {
namespace fs = std::filesystem;

namespace {

fs::path nats_server_binary() {
    if (const char* env = std::getenv("NAS_SYNC_NATS_SERVER"); env && *env) return env;
    std::vector<fs::path> candidates;
    if (const char* path = std::getenv("PATH"))
        for (std::string_view rest = path; !rest.empty();) {
            const auto colon = rest.find(':');
            candidates.emplace_back(fs::path(std::string(rest.substr(0, colon))) / "nats-server");
            rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
        }
    candidates.emplace_back("/usr/sbin/nats-server");  // where Debian puts it
    candidates.emplace_back("/usr/bin/nats-server");
    for (const auto& c : candidates)
        if (::access(c.c_str(), X_OK) == 0) return c;
    throw std::runtime_error("nats-server not found (install Debian's nats-server, or set NAS_SYNC_NATS_SERVER)");
}

std::string quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    return out + "\"";
}

bool exited(pid_t pid) {
    int status = 0;
    return ::waitpid(pid, &status, WNOHANG) == pid;
}

}  // namespace

bool nats_answers(int port) {
    const int fd = connect_local(port);
    if (fd < 0) return false;
    pollfd p{fd, POLLIN, 0};
    char buffer[5] = {};
    const bool ok = ::poll(&p, 1, 1000) == 1 && ::recv(fd, buffer, sizeof buffer, MSG_WAITALL) == 5 &&
                    std::memcmp(buffer, "INFO ", 5) == 0;
    ::close(fd);
    return ok;
}

NatsServer::NatsServer(NatsServerOptions options) : options_(std::move(options)), port_(free_port()) {
    // Another process may take the free port first: try others.
    for (int attempt = 0;; ++attempt) {
        try {
            start();
            return;
        } catch (const std::exception&) {
            if (attempt == 4) throw;
            port_ = free_port();
        }
    }
}

NatsServer::NatsServer(ClusterMember member) : port_(free_port()), member_(std::move(member)) {}

NatsServer::~NatsServer() { stop(); }

std::string NatsServer::log() const { return read_file(dir_ / "nats-server.log") + read_file(dir_ / "stderr"); }

void NatsServer::write_config() const {
    std::string c;
    c += "server_name: " + quote(member_.server_name.empty() ? "nas-sync-test-" + std::to_string(port_) : member_.server_name) + "\n";
    c += "listen: " + quote("127.0.0.1:" + std::to_string(port_)) + "\n";
    c += "log_file: " + quote((dir_ / "nats-server.log").string()) + "\n";
    c += "jetstream {\n  store_dir: " + quote((dir_ / "store").string()) + "\n}\n";
    if (!options_.user.empty())
        c += "authorization {\n  user: " + quote(options_.user) + "\n  password: " + quote(options_.password) + "\n}\n";
    else if (!options_.token.empty())
        c += "authorization {\n  token: " + quote(options_.token) + "\n}\n";
    if (member_.cluster_port > 0) {
        c += "cluster {\n  name: \"nas-sync-test\"\n  listen: " + quote("127.0.0.1:" + std::to_string(member_.cluster_port)) +
             "\n  routes: [";
        for (std::size_t i = 0; i < member_.route_ports.size(); ++i)
            c += (i ? ", " : "") + quote("nats-route://127.0.0.1:" + std::to_string(member_.route_ports[i]));
        c += "]\n}\n";
    }
    write_file(dir_ / "nats.conf", c);
}

void NatsServer::spawn() {
    if (running()) return;
    write_config();
    const std::string binary = nats_server_binary().string();
    const std::string config = (dir_ / "nats.conf").string();
    std::vector<std::string> args{binary, "-c", config};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    const int err_fd = ::open((dir_ / "stderr").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
        // Only async-signal-safe calls until exec. The server dies with us,
        // so a crashed test leaves no server behind.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        ::dup2(null_fd, 0);
        ::dup2(null_fd, 1);
        ::dup2(err_fd, 2);
        ::close_range(3, ~0U, 0);  // none of the test's sockets
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(null_fd);
    ::close(err_fd);
    if (pid < 0) throw std::runtime_error(std::string("cannot start nats-server: ") + std::strerror(errno));
    pid_ = pid;
}

void NatsServer::wait_until_ready() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (!nats_answers(port_)) {
        if (exited(pid_)) {
            pid_ = -1;
            throw std::runtime_error("nats-server exited at start:\n" + log());
        }
        if (std::chrono::steady_clock::now() > deadline) {
            kill();
            throw std::runtime_error("nats-server did not accept connections within 15 s:\n" + log());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

void NatsServer::start() {
    spawn();
    wait_until_ready();
}

void NatsServer::stop() {
    if (!running()) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 1000; ++i) {  // 10 s for a clean shutdown
        if (exited(pid_)) {
            pid_ = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill();
}

void NatsServer::kill() {
    if (!running()) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
}

NatsCluster::NatsCluster(int size) {
    std::vector<int> cluster_ports;
    for (int i = 0; i < size; ++i) cluster_ports.push_back(free_port());
    for (int i = 0; i < size; ++i) {
        std::vector<int> routes;
        for (int j = 0; j < size; ++j)
            if (j != i) routes.push_back(cluster_ports[static_cast<std::size_t>(j)]);
        nodes_.push_back(std::make_unique<NatsServer>(
            ClusterMember{"n" + std::to_string(i + 1), cluster_ports[static_cast<std::size_t>(i)], routes}));
    }
    for (auto& n : nodes_) n->start();
    wait_for_jetstream();
}

std::vector<std::string> NatsCluster::urls() const {
    std::vector<std::string> out;
    for (const auto& n : nodes_) out.push_back(n->url());
    return out;
}

void NatsCluster::wait_for_jetstream(std::chrono::seconds limit) const {
    // Ready once a stream replicated on every running node can be created.
    std::vector<std::string> urls;
    for (const auto& n : nodes_)
        if (n->running()) urls.push_back(n->url());
    std::vector<const char*> pointers;
    for (const auto& u : urls) pointers.push_back(u.c_str());
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::string last = "no connection";
    while (std::chrono::steady_clock::now() < deadline) {
        natsOptions* o = nullptr;
        natsConnection* nc = nullptr;
        jsCtx* js = nullptr;
        natsOptions_Create(&o);
        natsOptions_SetServers(o, pointers.data(), static_cast<int>(pointers.size()));
        natsOptions_SetTimeout(o, 1000);
        if (natsConnection_Connect(&nc, o) == NATS_OK && natsConnection_JetStream(&js, nc, nullptr) == NATS_OK) {
            jsStreamConfig c;
            jsStreamConfig_Init(&c);
            const std::string name = "READY_" + std::to_string(::getpid());
            c.Name = name.c_str();
            c.Storage = js_MemoryStorage;
            c.Replicas = static_cast<int64_t>(urls.size());
            jsOptions jo;
            jsOptions_Init(&jo);
            jo.Wait = 2000;
            jsErrCode err = static_cast<jsErrCode>(0);
            const natsStatus s = js_AddStream(nullptr, js, &c, &jo, &err);
            if (s == NATS_OK) {
                js_DeleteStream(js, name.c_str(), &jo, nullptr);
                jsCtx_Destroy(js);
                natsConnection_Destroy(nc);
                natsOptions_Destroy(o);
                return;
            }
            last = std::string(natsStatus_GetText(s)) + " (JetStream error " + std::to_string(err) + ")";
        }
        jsCtx_Destroy(js);
        natsConnection_Destroy(nc);
        natsOptions_Destroy(o);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error("the NATS cluster has no JetStream leader after " + std::to_string(limit.count()) +
                             " s: " + last);
}

NatsServer& process_nats_server() {
    static NatsServer server;
    return server;
}

std::string fresh_bucket(const std::string& label) {
    static std::atomic<int> counter{0};
    static const unsigned salt = std::random_device{}() % 100000;
    return label + "-" + std::to_string(::getpid()) + "-" + std::to_string(salt) + "-" + std::to_string(++counter);
}

PluginSection nats_section(const std::vector<std::string>& servers, const std::string& bucket, int replicas,
                           const std::string& timeout) {
    PluginSection s;
    s.plugin = "nats";
    s.key = "transport";
    s.options["servers"] = RawOption{servers, {}};
    s.options["bucket"] = RawOption{bucket, {}};
    s.options["replicas"] = RawOption{std::to_string(replicas), {}};
    s.options["timeout"] = RawOption{timeout, {}};
    return s;
}

}  // namespace nas_sync::test
