#include "smb_url.hpp"

#include <nas_sync/error.hpp>

#include <cctype>
#include <charconv>

namespace nas_sync::smb_transport {

namespace {

const std::string example = "write it as smb://HOST[:PORT]/SHARE[/FOLDER], e.g. smb://nas.office.lan/shared/app-db";

[[noreturn]] void refuse(const std::string& what) { throw OptionError("url", what + "; " + example); }

// Percent-encodes everything but unreserved characters, so that libsmbclient
// (which decodes its URLs, and reads '?' as the start of its own options)
// sees each segment exactly.
std::string encode_segment(std::string_view segment) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : segment) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// One share or folder name from the URL's path: %XX decoded, then checked
// against what SMB servers accept in a name.
std::string decode_segment(std::string_view raw, const std::string& url) {
    if (raw.empty()) refuse("url '" + url + "' has an empty share or folder name ('//')");
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '%') {
            out += raw[i];
            continue;
        }
        const int hi = i + 2 < raw.size() ? hex_value(raw[i + 1]) : -1;
        const int lo = i + 2 < raw.size() ? hex_value(raw[i + 2]) : -1;
        if (hi < 0 || lo < 0) refuse("url '" + url + "' has a '%' that is not followed by two hex digits");
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    if (out == "." || out == "..") refuse("url '" + url + "' has a '" + out + "' folder; name the folder itself");
    for (unsigned char c : out) {
        if (c < 0x20 || c == 0x7f)
            refuse("url '" + url + "' has a control character in a share or folder name");
        if (std::string_view("\\/:*?\"<>|").find(static_cast<char>(c)) != std::string_view::npos)
            refuse("url '" + url + "' has '" + std::string(1, static_cast<char>(c)) +
                   "' in a share or folder name, which SMB does not allow");
    }
    return out;
}

bool valid_host_name(std::string_view host) {
    if (host.empty() || host.size() > 253 || host.front() == '-' || host.front() == '.') return false;
    for (unsigned char c : host)
        if (!std::isalnum(c) && c != '-' && c != '.' && c != '_') return false;
    return true;
}

}  // namespace

std::string SmbLocation::host_and_port() const { return host + ":" + std::to_string(port); }

std::string SmbLocation::share_path() const {
    std::string out = share;
    for (const auto& f : folder) out += "/" + f;
    return out;
}

std::string SmbLocation::display(std::string_view username) const {
    return "smb://" + (username.empty() ? std::string() : std::string(username) + "@") + host_and_port() + "/" +
           share_path();
}

std::string SmbLocation::libsmbclient_url(std::string_view relative, bool share_only) const {
    std::string out = "smb://" + host_and_port() + "/" + encode_segment(share);
    if (share_only) return out;
    for (const auto& f : folder) out += "/" + encode_segment(f);
    std::size_t start = 0;
    while (start < relative.size()) {
        const std::size_t end = std::min(relative.find('/', start), relative.size());
        out += "/" + encode_segment(relative.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

SmbLocation parse_smb_url(std::string_view url_view) {
    const std::string url(url_view);
    constexpr std::string_view scheme = "smb://";
    if (url.size() < scheme.size() || !std::equal(scheme.begin(), scheme.end(), url.begin(), [](char a, char b) {
            return a == std::tolower(static_cast<unsigned char>(b));
        }))
        refuse("url '" + url + "' does not start with smb://");
    const std::string_view rest = url_view.substr(scheme.size());
    const std::size_t slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    // A user name or password in the URL would end up in logs and listings:
    // they have options of their own. The URL is not repeated: it may hold a password.
    if (authority.find('@') != std::string_view::npos)
        refuse("the url holds a user name or password ('...@'); give them in the options 'username' and "
               "'password' (the password as ${NAS_SYNC_SMB_PASSWORD})");

    SmbLocation location;
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[')
        refuse("url '" + url + "' names an IPv6 address, which libsmbclient's URLs cannot carry; use a host name "
               "that resolves to it");
    const std::size_t colon = authority.find(':');
    location.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
        port_text = authority.substr(colon + 1);
        if (port_text.empty()) refuse("url '" + url + "' has a ':' without a port number");
    }
    if (location.host.empty()) refuse("url '" + url + "' names no host");
    if (!valid_host_name(location.host))
        refuse("url '" + url + "' has an invalid host '" + location.host + "' (letters, digits, '-', '.', '_')");
    if (!port_text.empty()) {
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 || value > 65535)
            refuse("url '" + url + "' has port '" + std::string(port_text) + "', not a number from 1 to 65535");
        location.port = static_cast<std::uint16_t>(value);
    }

    std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (path.ends_with('/')) path.remove_suffix(1);
    if (path.empty()) refuse("url '" + url + "' names no share");
    std::size_t start = 0;
    std::vector<std::string> segments;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        segments.push_back(decode_segment(path.substr(start, end - start), url));
        start = end + 1;
    }
    location.share = segments.front();
    location.folder.assign(segments.begin() + 1, segments.end());
    return location;
}

}  // namespace nas_sync::smb_transport
