#include "cli/metrics_server.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <cerrno>
#include <cstring>

#include "nas_sync/error.hpp"

namespace nas_sync::cli {

MetricsServer::MetricsServer(const std::string& address, const SyncMetrics& metrics)
    : server_(std::make_unique<httplib::Server>()) {
    const auto colon = address.rfind(':');
    int port = -1;
    if (colon != std::string::npos && colon > 0) {
        try {
            std::size_t used = 0;
            port = std::stoi(address.substr(colon + 1), &used);
            if (used != address.size() - colon - 1) port = -1;
        } catch (const std::exception&) {
            port = -1;
        }
    }
    if (port < 1 || port > 65535)
        throw Error(ErrorCode::config, fmt::format("--metrics '{}': write HOST:PORT, such as 127.0.0.1:9464", address));
    const std::string host = address.substr(0, colon);
    // Not SO_REUSEPORT (cpp-httplib's default): a second process must not
    // listen on the same port and take half of the scrapes.
    server_->set_socket_options([](socket_t sock) {
        const int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    server_->Get("/metrics", [&metrics](const httplib::Request&, httplib::Response& response) {
        response.set_content(metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
    });
    if (!server_->bind_to_port(host, port))
        throw Error(ErrorCode::io, fmt::format("--metrics '{}': cannot listen there ({})", address, std::strerror(errno)));
    thread_ = std::thread([this] { server_->listen_after_bind(); });
}

MetricsServer::~MetricsServer() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
}

}  // namespace nas_sync::cli
