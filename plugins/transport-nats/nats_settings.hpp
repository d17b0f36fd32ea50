// The `nats` transport's options, checked, and how they are shown to people.
#pragma once

#include <nas_sync/plugin.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace nas_sync::nats_transport {

struct NatsSettings {
    std::vector<std::string> servers;  // nats://host:port, tls://host:port or host:port
    std::string bucket;                // letters, digits, '-', '_'
    int replicas = 1;                  // of the bucket's stream when we create it
    std::string user, password, token;  // secrets: never shown
    std::string creds;                  // a creds file (JWT and NKey seed); its content is never read by us
    std::string tls_ca, tls_cert, tls_key;
    std::chrono::milliseconds timeout{10000};

    // Throws OptionError naming the option for a value that cannot work:
    // no servers, a server URL with credentials in it, a bad bucket name,
    // replicas outside 1..5, a password without a user, two kinds of
    // credentials, a certificate without its key, a file that cannot be read.
    static NatsSettings from_options(const PluginOptions& options);

    // "nats://10.0.0.1:4222,nats://10.0.0.2:4222": no credentials.
    std::string servers_text() const;
    // Replaces every secret in `text` with "***": for messages built from
    // text a library or a server wrote.
    std::string redact(std::string text) const;
};

// True for 1 to 128 letters, digits, '-' and '_' (NATS's rule for bucket names).
bool is_valid_bucket_name(const std::string& bucket);

}  // namespace nas_sync::nats_transport
