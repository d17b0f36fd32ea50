// The sequence note beside a snapshot copy: client-<id>.sqlite.seq, a few
// bytes saying up to which change-log id (the AUTOINCREMENT sequence) the
// copy holds the client's own changes, and its schema version. A reader that
// has read a peer up to that id, with our schema version, knows the copy
// changed only by what the peer merged from others and does not fetch it.
//
// It is put before its copy, with the copy's sequence: a note read after the
// listing is never behind the copy listed. A missing note, or one that is not
// well formed, means "fetch the copy", as before notes existed. The original's
// clients list only names of the form client-<id>.sqlite and ignore it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nas_sync {

struct SequenceNote {
    std::int64_t changelog_seq = 0;
    std::string schema_version;
};

// The longest note read: anything longer is not one.
inline constexpr std::size_t max_sequence_note_bytes = 1024;

std::string sequence_note_name(const std::string& client_id);
std::string format_sequence_note(const SequenceNote& note);
// The note in `text`, or why it is not one (`problem`).
std::optional<SequenceNote> parse_sequence_note(std::string_view text, std::string& problem);

}  // namespace nas_sync
