// Real nats-server processes for tests: one server, or a cluster of three,
// each started by the test on 127.0.0.1 on free ports with JetStream, its
// store, config and log in a temporary folder, and stopped by its own pid.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "local_ports.hpp"
#include "nas_sync/pipeline.hpp"
#include "test_support.hpp"

namespace nas_sync::test {

struct NatsServerOptions {
    std::string user, password;  // required of clients when set
    std::string token;
};

// What makes a server one node of a cluster.
struct ClusterMember {
    std::string server_name;
    int cluster_port = 0;
    std::vector<int> route_ports;  // the other nodes' cluster ports
};

// One nats-server process. Its ports and store survive kill() and start(),
// so clients reconnect to it and find their streams again.
class NatsServer {
public:
    // Starts it with JetStream and waits until it accepts connections.
    explicit NatsServer(NatsServerOptions options = {});
    // A cluster node on a free client port, configured but not started.
    explicit NatsServer(ClusterMember member);
    ~NatsServer();
    NatsServer(const NatsServer&) = delete;
    NatsServer& operator=(const NatsServer&) = delete;

    std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
    int port() const { return port_; }
    pid_t pid() const { return pid_; }
    bool running() const { return pid_ > 0; }
    const std::filesystem::path& folder() const { return dir_.path(); }
    std::string log() const;

    void start();  // when stopped or killed: the same ports and store
    void stop();   // SIGTERM, then reaps it
    void kill();   // SIGKILL (a crash or a pulled cable), then reaps it

private:
    void write_config() const;
    void spawn();
    void wait_until_ready();

    NatsServerOptions options_;
    TempDir dir_;
    int port_ = 0;
    ClusterMember member_;
    pid_t pid_ = -1;
};

// Three servers routed to each other on loopback, JetStream on each.
class NatsCluster {
public:
    explicit NatsCluster(int size = 3);
    std::vector<std::string> urls() const;
    NatsServer& node(std::size_t i) { return *nodes_.at(i); }
    std::size_t size() const { return nodes_.size(); }
    // Until the running nodes have elected a JetStream metadata leader.
    void wait_for_jetstream(std::chrono::seconds limit = std::chrono::seconds(30)) const;

private:
    std::vector<std::unique_ptr<NatsServer>> nodes_;
};

// The nats-server of this test process, started at the first call.
NatsServer& process_nats_server();

// A bucket name no other test of this machine uses.
std::string fresh_bucket(const std::string& label = "test");

// A `transport:` section for the nats plugin.
PluginSection nats_section(const std::vector<std::string>& servers, const std::string& bucket, int replicas = 1,
                           const std::string& timeout = "10s");

// Whether a server on 127.0.0.1:port answers with its INFO line.
bool nats_answers(int port);

}  // namespace nas_sync::test
