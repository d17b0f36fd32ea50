#include "nats_connection.hpp"

#include <algorithm>
#include <vector>

namespace nas_sync::nats_transport {

namespace {

// What the library says about its last failure in this thread, beyond the
// status text.
std::string library_detail(natsStatus status) {
    natsStatus last = NATS_OK;
    const char* text = nats_GetLastError(&last);
    std::string detail = text ? text : "";
    // The library puts where in its source it failed first: "(conn.c:1905): ".
    if (detail.starts_with("(")) {
        if (const auto end = detail.find("): "); end != std::string::npos) detail = detail.substr(end + 3);
    }
    if (last != status || detail.empty() || detail == natsStatus_GetText(status)) return "";
    return detail;
}

}  // namespace

NatsConnection::NatsConnection(NatsSettings settings) : settings_(std::move(settings)) {
    auto check = [&](natsStatus s, const char* option, const std::string& what) {
        if (s == NATS_OK) return;
        const std::string detail = library_detail(s);
        natsOptions_Destroy(options_);
        options_ = nullptr;
        throw OptionError(option, settings_.redact(what + ": " + natsStatus_GetText(s) +
                                                   (detail.empty() ? "" : " (" + detail + ")")));
    };
    check(natsOptions_Create(&options_), "servers", "cannot set up the NATS client");
    std::vector<const char*> urls;
    for (const auto& url : settings_.servers) urls.push_back(url.c_str());
    check(natsOptions_SetServers(options_, urls.data(), static_cast<int>(urls.size())), "servers",
          "cannot use the server list");
    // Each server gets its share of the timeout, so trying them all takes about the timeout.
    const auto per_server =
        std::max<std::int64_t>(250, settings_.timeout.count() / static_cast<std::int64_t>(urls.size()));
    check(natsOptions_SetTimeout(options_, per_server), "timeout", "cannot set the timeout");
    check(natsOptions_SetName(options_, "nas-sync"), "servers", "cannot name the connection");
    // Once connected, the library reconnects by itself, to any server of the
    // list or of the cluster, for as long as this transport lives.
    check(natsOptions_SetAllowReconnect(options_, true), "servers", "cannot allow reconnects");
    check(natsOptions_SetMaxReconnect(options_, -1), "servers", "cannot allow reconnects");
    check(natsOptions_SetReconnectWait(options_, 250), "servers", "cannot set the reconnect wait");
    // A server that stops answering without closing the connection is given
    // up after two missed pings, one timeout each.
    check(natsOptions_SetPingInterval(options_, std::max<std::int64_t>(1000, settings_.timeout.count())), "timeout",
          "cannot set the ping interval");
    check(natsOptions_SetMaxPingsOut(options_, 2), "timeout", "cannot set the ping limit");
    check(natsOptions_SetErrorHandler(options_, &NatsConnection::on_async_error, this), "servers",
          "cannot set the error handler");
    if (!settings_.user.empty())
        check(natsOptions_SetUserInfo(options_, settings_.user.c_str(), settings_.password.c_str()), "user",
              "cannot use the user and password");
    if (!settings_.token.empty())
        check(natsOptions_SetToken(options_, settings_.token.c_str()), "token", "cannot use the token");
    if (!settings_.creds.empty())
        check(natsOptions_SetUserCredentialsFromFiles(options_, settings_.creds.c_str(), nullptr), "creds",
              "cannot use creds file '" + settings_.creds + "'");
    if (!settings_.tls_ca.empty()) {
        check(natsOptions_SetSecure(options_, true), "tls_ca", "cannot require TLS");
        check(natsOptions_LoadCATrustedCertificates(options_, settings_.tls_ca.c_str()), "tls_ca",
              "cannot load CA certificates '" + settings_.tls_ca + "'");
    }
    if (!settings_.tls_cert.empty()) {
        check(natsOptions_SetSecure(options_, true), "tls_cert", "cannot require TLS");
        check(natsOptions_LoadCertificatesChain(options_, settings_.tls_cert.c_str(), settings_.tls_key.c_str()),
              "tls_cert", "cannot load client certificate '" + settings_.tls_cert + "' with key '" +
                              settings_.tls_key + "'");
    }
}

NatsConnection::~NatsConnection() {
    disconnect();
    natsOptions_Destroy(options_);
}

void NatsConnection::disconnect() {
    if (js_) jsCtx_Destroy(js_);
    js_ = nullptr;
    if (nc_) {
        natsConnection_Close(nc_);
        natsConnection_Destroy(nc_);
    }
    nc_ = nullptr;
}

void NatsConnection::on_async_error(natsConnection*, natsSubscription*, natsStatus status, void* closure) {
    auto* self = static_cast<NatsConnection*>(closure);
    std::lock_guard lock(self->async_error_mutex_);
    self->async_error_ = natsStatus_GetText(status);
}

void NatsConnection::connect() {
    if (nc_ && !natsConnection_IsClosed(nc_)) return;
    disconnect();
    const natsStatus s = natsConnection_Connect(&nc_, options_);
    if (s != NATS_OK) {
        nc_ = nullptr;
        const bool refused = s == NATS_CONNECTION_AUTH_FAILED || s == NATS_NOT_PERMITTED;
        fail("cannot connect", s, static_cast<jsErrCode>(0), refused ? ErrorCode::config : ErrorCode::io);
    }
    jsOptions o = js_options();
    if (const natsStatus js = natsConnection_JetStream(&js_, nc_, &o); js != NATS_OK) {
        js_ = nullptr;
        fail("cannot use JetStream", js);
    }
}

jsOptions NatsConnection::js_options() const {
    jsOptions o;
    jsOptions_Init(&o);
    o.Wait = timeout_ms();
    return o;
}

std::string NatsConnection::message(const std::string& what, const std::string& reason) const {
    return settings_.redact("NATS " + settings_.servers_text() + " (bucket " + settings_.bucket + "): " + what + ": " +
                            reason);
}

void NatsConnection::fail(const std::string& what, natsStatus status, jsErrCode js_error, ErrorCode code) const {
    std::string reason = natsStatus_GetText(status);
    if (const std::string detail = library_detail(status); !detail.empty()) reason += " (" + detail + ")";
    if (js_error != 0) reason += " [JetStream error " + std::to_string(static_cast<int>(js_error)) + "]";
    if (status == NATS_TIMEOUT) reason += " after " + std::to_string(timeout_ms()) + " ms";
    {
        std::lock_guard lock(async_error_mutex_);
        if (!async_error_.empty()) reason += "; the connection reported: " + async_error_;
        async_error_.clear();
    }
    throw Error(code, message(what, reason));
}

}  // namespace nas_sync::nats_transport
