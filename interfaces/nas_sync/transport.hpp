// nas_sync/transport.hpp: a store of named files on the share.
//
// A Transport knows nothing about SQLite. It stores opaque objects under names
// made of segments separated by '/', each segment of letters, digits, '.',
// '_', '-' (and not "." or ".."). Names that could leave the store (absolute,
// "..", backslash, NUL, empty segments) are refused with ErrorCode::refused.
//
// Atomicity: put() must never let a reader see a partial object. Write under a
// unique temporary name, flush, then rename over the final name. Replacing an
// existing name need not be atomic (SMB deletes the target first), so a reader
// may briefly find a listed name missing: get() then throws
// ErrorCode::not_found and the engine tries again next round.
//
// Threads: one Transport object is used by one thread at a time. Different
// objects (in one or many processes) may work on the same store concurrently.
//
// Failures throw nas_sync::Error:
//   not_found  get()/read_first_bytes()/remove() of a name that does not exist
//   io         the store cannot be reached, read or written (with the OS reason)
//   refused    an unsafe name
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace nas_sync {

struct ObjectInfo {
    std::string name;  // full name, relative to the store's root
    std::uint64_t size = 0;
    std::chrono::system_clock::time_point modified;
};

class Transport {
public:
    virtual ~Transport() = default;
    Transport() = default;
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    // Objects whose name starts with prefix ("" lists everything, "journal/"
    // lists a folder), sorted by name. Temporary files of an unfinished put()
    // of this transport are not listed.
    virtual std::vector<ObjectInfo> list(std::string_view prefix) = 0;

    // Stores the local file under name, replacing any existing object.
    virtual void put(const std::filesystem::path& local_file, std::string_view name) = 0;

    // Copies the object into local_file (created or truncated).
    virtual void get(std::string_view name, const std::filesystem::path& local_file) = 0;

    // The object's first `length` bytes (all of it when it is shorter),
    // without copying the rest: the engine checks what an object claims to
    // be (a database header) before it fetches a copy of it.
    virtual std::string read_first_bytes(std::string_view name, std::size_t length) = 0;

    // Removes the object.
    virtual void remove(std::string_view name) = 0;

    // Where this transport stores objects, for people ("fs:/mnt/nas/db").
    virtual std::string describe() const = 0;

    // What the calls since the last take skipped or refused without failing
    // (a symbolic link on the share that is not followed): the engine adds
    // these to the sync's warnings, so that nothing is left out silently.
    virtual std::vector<std::string> take_warnings() { return {}; }
};

}  // namespace nas_sync
