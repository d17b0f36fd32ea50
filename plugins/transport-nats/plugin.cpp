// Entry point of the `nats` transport plugin.
#include <nas_sync/plugin.hpp>

#include "nats_settings.hpp"
#include "nats_transport.hpp"

namespace {

const nas_sync::OptionSpec options[] = {
    {"servers", nas_sync::OptionType::string_list, true, "",
     "NATS server URLs, nats://HOST:PORT (tls://HOST:PORT to require TLS); all of a cluster's, or any of them"},
    {"bucket", nas_sync::OptionType::string, true, "",
     "The object-store bucket (stream OBJ_<bucket>) of this fleet: letters, digits, '-', '_'"},
    {"replicas", nas_sync::OptionType::integer, false, "1",
     "JetStream replicas of the bucket's stream when this transport creates it: 1 to 5 (3 on a three-node cluster)"},
    {"user", nas_sync::OptionType::string, false, "", "User name, with password"},
    {"password", nas_sync::OptionType::string, false, "", "Password of user; never shown (use ${ENV})"},
    {"token", nas_sync::OptionType::string, false, "", "Authentication token; never shown (use ${ENV})"},
    {"creds", nas_sync::OptionType::path, false, "", "A .creds file (user JWT and NKey seed)"},
    {"tls_ca", nas_sync::OptionType::path, false, "", "CA certificates (PEM) that sign the servers' certificates; turns TLS on"},
    {"tls_cert", nas_sync::OptionType::path, false, "", "Client certificate (PEM), with tls_key; turns TLS on"},
    {"tls_key", nas_sync::OptionType::path, false, "", "Private key (PEM) of tls_cert"},
    {"timeout", nas_sync::OptionType::duration, false, "10s",
     "Bounds connecting (all servers together) and every request to the servers"},
};

std::unique_ptr<nas_sync::Transport> make(const nas_sync::PluginOptions& o) {
    return std::make_unique<nas_sync::nats_transport::NatsTransport>(
        nas_sync::nats_transport::NatsSettings::from_options(o));
}

}  // namespace

NAS_SYNC_PLUGIN((nas_sync::PluginDescriptor{
    .kind = nas_sync::PluginKind::transport,
    .name = "nats",
    .version = "1.0.0",
    .description = "NATS JetStream (one server or a replicating cluster), in NATS's object-store layout",
    .options = options,
    .make_transport = make,
}))
