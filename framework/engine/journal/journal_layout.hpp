// The `journal` layout's objects on the share, per client:
//   journal/<id>/seg-<n>.sqlite   segment n (12 digits): a database holding only
//                                 the changed rows, their tombstones and versions
//   journal/<id>/base-<n>.sqlite  a full copy covering segments up to n
//   journal/<id>/read-<k>.txt     "<peer> <segment>" lines: how far <id> has read
// (docs/share-format.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "nas_sync/transport.hpp"

namespace nas_sync {

enum class JournalObject { segment, base, read };

// "journal/<client>/seg-000000000042.sqlite" and the like.
std::string journal_object_name(const std::string& client, JournalObject kind, std::int64_t n);

// What one client has under journal/<id>/, by number.
struct PeerJournal {
    std::map<std::int64_t, ObjectInfo> segments, bases, reads;
    std::chrono::system_clock::time_point newest;  // the newest object's modification time
};

// Every client's journal on the share, by client id (names that are not
// journal objects, or whose client id is not valid, are left out).
std::map<std::string, PeerJournal> list_journals(Transport& transport);

// A read-<k>.txt file's "<peer> <segment>" lines.
std::map<std::string, std::int64_t> parse_read_progress(const std::string& text);
std::string format_read_progress(const std::map<std::string, std::int64_t>& progress);

}  // namespace nas_sync
