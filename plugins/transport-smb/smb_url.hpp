// The `url` option of the smb transport: smb://HOST[:PORT]/SHARE[/FOLDER...].
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nas_sync::smb_transport {

inline constexpr std::uint16_t default_smb_port = 445;

struct SmbLocation {
    std::string host;                  // a name or an IPv4 address
    std::uint16_t port = default_smb_port;
    std::string share;                 // decoded
    std::vector<std::string> folder;   // decoded segments inside the share; empty for the share's top

    // "host:port".
    std::string host_and_port() const;
    // "share/folder/..." (decoded, for people).
    std::string share_path() const;
    // smb://user@host:port/share/folder for messages and describe(): never a password.
    std::string display(std::string_view username) const;
    // The URL libsmbclient is given for `relative` ('/'-separated segments
    // inside the folder, "" for the folder itself), every segment
    // percent-encoded. With `share_only`, the share's top.
    std::string libsmbclient_url(std::string_view relative = {}, bool share_only = false) const;
};

// Throws OptionError("url", ...) naming what is wrong. The message never
// repeats a user name or password written into the URL.
SmbLocation parse_smb_url(std::string_view url);

}  // namespace nas_sync::smb_transport
