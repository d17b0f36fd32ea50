// The HTTP endpoint of `run --metrics HOST:PORT` (cpp-httplib): GET /metrics
// answers SyncMetrics::render(), on a thread of its own, until destroyed.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "cli/sync_metrics.hpp"

namespace httplib {
class Server;
}

namespace nas_sync::cli {

class MetricsServer {
public:
    // `address`: HOST:PORT. Throws Error(config) for a malformed one and
    // Error(io) when it cannot listen there; serves once constructed.
    MetricsServer(const std::string& address, const SyncMetrics& metrics);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

private:
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
};

}  // namespace nas_sync::cli
