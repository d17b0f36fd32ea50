// A TCP connection attempt bounded by a deadline, made before libsmbclient
// connects: its own connect waits a fixed time (about 5 s in Samba 4.17,
// up to 20 s) whatever timeout it is given.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace nas_sync::smb_transport {

// "" when a connection to host:port was made (and closed) within `timeout`;
// otherwise why not, for people ("connection refused", "no answer within
// 10s", "host not found: ..."). Name resolution uses the system resolver,
// whose own timeouts apply.
std::string probe_tcp(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout);

// "10s", "1500ms": a duration as the pipeline file writes it.
std::string format_duration(std::chrono::milliseconds d);

}  // namespace nas_sync::smb_transport
