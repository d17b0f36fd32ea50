#include "nats_settings.hpp"

#include <nas_sync/error.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nas_sync::nats_transport {

namespace {

// A server URL with its user information (what sits before '@') hidden.
std::string without_user_info(const std::string& url) {
    const auto at = url.rfind('@');
    if (at == std::string::npos) return url;
    const auto scheme_end = url.find("://");
    const std::size_t start = (scheme_end == std::string::npos || scheme_end > at) ? 0 : scheme_end + 3;
    return url.substr(0, start) + "***" + url.substr(at);
}

void check_server(const std::string& url) {
    if (url.empty()) throw OptionError("servers", "a server URL is empty; write nats://HOST:PORT");
    if (url.find('@') != std::string::npos)
        throw OptionError("servers", "server URL '" + without_user_info(url) +
                                         "' carries credentials; give them with the user and password, "
                                         "token or creds options instead (they can come from ${ENV} variables)");
    for (char c : url)
        if (c == ',' || c == ' ' || c == '\t' || static_cast<unsigned char>(c) < 0x20)
            throw OptionError("servers", "server URL '" + url +
                                             "' contains a comma, a space or a control character; give one URL "
                                             "per list entry, like [nats://10.0.0.1:4222, nats://10.0.0.2:4222]");
    const auto scheme_end = url.find("://");
    if (scheme_end != std::string::npos) {
        const std::string scheme = url.substr(0, scheme_end);
        if (scheme != "nats" && scheme != "tls")
            throw OptionError("servers", "server URL '" + url + "' has scheme '" + scheme +
                                             "'; use nats:// (or tls:// to require TLS)");
        if (scheme_end + 3 == url.size()) throw OptionError("servers", "server URL '" + url + "' has no host");
    }
}

void check_readable_file(const std::string& option, const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        throw OptionError(option, "cannot read '" + path + "': " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw OptionError(option, "'" + path + "' is not a file");
    if (::access(path.c_str(), R_OK) != 0)
        throw OptionError(option, "cannot read '" + path + "': " + std::strerror(errno));
}

std::string optional_string(const PluginOptions& options, const std::string& name) {
    return options.has(name) ? options.string(name) : std::string();
}

}  // namespace

bool is_valid_bucket_name(const std::string& bucket) {
    if (bucket.empty() || bucket.size() > 128) return false;
    for (char c : bucket) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '_';
        if (!ok) return false;
    }
    return true;
}

NatsSettings NatsSettings::from_options(const PluginOptions& options) {
    NatsSettings s;
    s.servers = options.list("servers");
    if (s.servers.empty())
        throw OptionError("servers", "no server given; list at least one, like [nats://10.0.0.1:4222]");
    for (const auto& url : s.servers) check_server(url);

    s.bucket = options.string("bucket");
    if (!is_valid_bucket_name(s.bucket))
        throw OptionError("bucket", "bucket '" + s.bucket +
                                        "' is not a valid name: use 1 to 128 letters, digits, '-' and '_'");

    const std::int64_t replicas = options.integer("replicas");
    if (replicas < 1 || replicas > 5)
        throw OptionError("replicas", "replicas is " + std::to_string(replicas) +
                                          "; JetStream keeps 1 to 5 replicas (1 on a single server, 3 on a "
                                          "three-node cluster)");
    s.replicas = static_cast<int>(replicas);

    s.user = optional_string(options, "user");
    s.password = optional_string(options, "password");
    s.token = optional_string(options, "token");
    s.creds = optional_string(options, "creds");
    if (!s.password.empty() && s.user.empty()) throw OptionError("password", "a password needs a user");
    if (!s.user.empty() && s.password.empty()) throw OptionError("user", "a user needs a password");
    const int kinds = (s.user.empty() ? 0 : 1) + (s.token.empty() ? 0 : 1) + (s.creds.empty() ? 0 : 1);
    if (kinds > 1)
        throw OptionError(!s.token.empty() ? "token" : "creds",
                          "give one kind of credentials: user and password, token, or creds");
    if (!s.creds.empty()) check_readable_file("creds", s.creds);

    s.tls_ca = optional_string(options, "tls_ca");
    s.tls_cert = optional_string(options, "tls_cert");
    s.tls_key = optional_string(options, "tls_key");
    if (s.tls_cert.empty() != s.tls_key.empty())
        throw OptionError(s.tls_cert.empty() ? "tls_key" : "tls_cert",
                          "a client certificate needs its key: give both tls_cert and tls_key");
    if (!s.tls_ca.empty()) check_readable_file("tls_ca", s.tls_ca);
    if (!s.tls_cert.empty()) check_readable_file("tls_cert", s.tls_cert);
    if (!s.tls_key.empty()) check_readable_file("tls_key", s.tls_key);

    s.timeout = options.duration("timeout");
    if (s.timeout.count() <= 0) throw OptionError("timeout", "timeout must be positive, like 10s");
    return s;
}

std::string NatsSettings::servers_text() const {
    std::string out;
    for (const auto& url : servers) out += (out.empty() ? "" : ",") + without_user_info(url);
    return out;
}

std::string NatsSettings::redact(std::string text) const {
    for (const std::string* secret : {&password, &token}) {
        if (secret->empty()) continue;
        for (auto at = text.find(*secret); at != std::string::npos; at = text.find(*secret, at + 3))
            text.replace(at, secret->size(), "***");
    }
    return text;
}

}  // namespace nas_sync::nats_transport
