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
#include <optional>
#include <string>
#include <vector>

#include "nas_sync/transport.hpp"

namespace nas_sync {

enum class JournalObject { segment, base, read };

// The highest number a journal object may have (a segment a second for 31
// years). A name with a higher one is not a journal object: readers ignore it
// with a warning, and a writer's next number never comes from the share.
inline constexpr std::int64_t max_journal_number = 999'999'999;

struct JournalObjectName {
    std::string client;
    JournalObject kind;
    std::int64_t number;
};
// The parts of a journal object's name; nothing for any other name. A name
// of that form whose number is above max_journal_number is nothing too, and
// sets `out_of_range`.
std::optional<JournalObjectName> parse_journal_object_name(const std::string& name, bool* out_of_range = nullptr);

// "journal/<client>/seg-000000000042.sqlite" and the like.
std::string journal_object_name(const std::string& client, JournalObject kind, std::int64_t n);

// What one client has under journal/<id>/, by number.
struct PeerJournal {
    std::map<std::int64_t, ObjectInfo> segments, bases, reads;
    std::chrono::system_clock::time_point newest;  // the newest object's modification time
};

// What one client has under journal/<id>/: whether it publishes a journal (a
// base or a segment; a folder holding only read progress is no journal).
inline bool publishes_journal(const PeerJournal& journal) { return !journal.segments.empty() || !journal.bases.empty(); }

// Every client's journal on the share, by client id. Names that are not
// journal objects are left out; those with numbers out of range are left out
// with a warning.
std::map<std::string, PeerJournal> list_journals(Transport& transport, std::vector<std::string>& warnings);

// A read-<k>.txt file's "<peer> <segment>" lines.
std::map<std::string, std::int64_t> parse_read_progress(const std::string& text);
std::string format_read_progress(const std::map<std::string, std::int64_t>& progress);

}  // namespace nas_sync
