// nas_sync/error.hpp: the one error type of nas-sync.
//
// Every failure that crosses a plugin boundary is a nas_sync::Error. Its code
// says what kind of failure it is, so the host can react (skip a peer, exit 2
// for bad configuration, retry next round) without parsing messages. The
// message is for people: it says what is wrong and where.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace nas_sync {

enum class ErrorCode {
    config,     // bad configuration or option value; the user must fix it (exit status 2)
    not_found,  // the named object, file or table does not exist
    io,         // the share or a local file could not be read or written
    corrupt,    // data that exists but cannot be trusted (torn, malformed, hostile)
    refused,    // a request that is not allowed (unsafe name, wrong plugin API version)
    internal,   // a bug in nas-sync or a plugin
};

class Error : public std::runtime_error {
public:
    Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
    ErrorCode code() const noexcept { return code_; }

private:
    ErrorCode code_;
};

// Thrown by a plugin factory for a bad option value. The host adds the file,
// line and column of that option in the pipeline file.
class OptionError : public Error {
public:
    OptionError(std::string option, const std::string& message)
        : Error(ErrorCode::config, message), option_(std::move(option)) {}
    const std::string& option() const noexcept { return option_; }

private:
    std::string option_;
};

}  // namespace nas_sync
