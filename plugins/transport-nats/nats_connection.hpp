// One connection to a NATS system (all the configured servers, reconnecting
// by itself) and the JetStream context on it, with the settings' timeout on
// every request. Failures become nas_sync::Error naming the servers, never a
// secret.
#pragma once

#include <nats/nats.h>

#include <memory>
#include <mutex>
#include <string>

#include <nas_sync/error.hpp>

#include "nats_settings.hpp"

namespace nas_sync::nats_transport {

struct MsgDeleter {
    void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
using MsgPtr = std::unique_ptr<natsMsg, MsgDeleter>;

class NatsConnection {
public:
    // Reads the credential and TLS files into the connection options:
    // Error(config) naming the option when one cannot be used. Does not connect.
    explicit NatsConnection(NatsSettings settings);
    ~NatsConnection();
    NatsConnection(const NatsConnection&) = delete;
    NatsConnection& operator=(const NatsConnection&) = delete;

    // Connects when not connected (a connection that the library gave up is
    // replaced). Error(io) naming the servers when none can be reached in
    // about the timeout; Error(config) when they refuse our credentials.
    void connect();
    natsConnection* nc() const { return nc_; }
    jsCtx* js() const { return js_; }

    const NatsSettings& settings() const { return settings_; }
    std::int64_t timeout_ms() const { return settings_.timeout.count(); }
    // jsOptions with the timeout as the wait of every JetStream request.
    jsOptions js_options() const;

    // Throws Error(`code`) "NATS <servers> (bucket <b>): <what>: <reason>", secrets redacted.
    [[noreturn]] void fail(const std::string& what, natsStatus status, jsErrCode js_error = static_cast<jsErrCode>(0),
                           ErrorCode code = ErrorCode::io) const;
    // The same text, for a failure we report ourselves.
    std::string message(const std::string& what, const std::string& reason) const;

private:
    static void on_async_error(natsConnection*, natsSubscription*, natsStatus status, void* closure);
    void disconnect();

    NatsSettings settings_;
    natsOptions* options_ = nullptr;
    natsConnection* nc_ = nullptr;
    jsCtx* js_ = nullptr;
    mutable std::mutex async_error_mutex_;
    mutable std::string async_error_;  // the last error the library reported from its own threads
};

}  // namespace nas_sync::nats_transport
