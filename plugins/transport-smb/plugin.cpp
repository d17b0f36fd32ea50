// Entry point of the `smb` transport plugin.
#include <nas_sync/plugin.hpp>

#include <climits>

#include "smb_transport.hpp"

namespace {

const nas_sync::OptionSpec options[] = {
    {"url", nas_sync::OptionType::string, true, "",
     "The folder on the share: smb://HOST[:PORT]/SHARE[/FOLDER] (port 445 when not given)"},
    {"username", nas_sync::OptionType::string, false, "", "The SMB user; none: a guest connection"},
    {"password", nas_sync::OptionType::string, false, "",
     "The user's password; write it as ${NAS_SYNC_SMB_PASSWORD} and set that variable"},
    {"domain", nas_sync::OptionType::string, false, "", "The user's domain or workgroup; none: the client's default"},
    {"timeout", nas_sync::OptionType::duration, false, "10s",
     "How long a connection attempt or a request may wait for the server"},
};

std::string optional_string(const nas_sync::PluginOptions& o, const std::string& name) {
    return o.has(name) ? o.string(name) : std::string();
}

std::unique_ptr<nas_sync::Transport> make(const nas_sync::PluginOptions& o) {
    using namespace nas_sync::smb_transport;
    auto location = parse_smb_url(o.string("url"));
    Credentials credentials{optional_string(o, "username"), optional_string(o, "password"),
                            optional_string(o, "domain")};
    if (credentials.username.empty() && !credentials.password.empty())
        throw nas_sync::OptionError("username", "a password is given but no username");
    const auto timeout = o.duration("timeout");
    if (timeout.count() <= 0 || timeout.count() > INT_MAX)
        throw nas_sync::OptionError("timeout", "the timeout must be more than 0 and at most 24 days");
    return std::make_unique<SmbTransport>(std::move(location), std::move(credentials), timeout);
}

}  // namespace

NAS_SYNC_PLUGIN((nas_sync::PluginDescriptor{
    .kind = nas_sync::PluginKind::transport,
    .name = "smb",
    .version = "1.0.0",
    .description = "A folder on an SMB share (Windows, Synology, QNAP, Samba) through libsmbclient; nothing mounted",
    .options = options,
    .make_transport = make,
}))
