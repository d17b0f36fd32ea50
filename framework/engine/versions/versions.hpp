// Versions of record states: the one rule every path of the engine uses.
//
// A row's time is its timestamp column read by meaning (ISO-8601 text with or
// without milliseconds and zone, SQLite datetime() text, epoch seconds or
// milliseconds as integers). A deletion's time is its tombstone's deletedAt;
// the original writes whole seconds, which we read as the end of that second
// so a delete still beats the row state it removed within that second.
//
// Each client remembers the version of every record state it knows in
// _nas_sync_versions (published with its snapshot). A local change is always
// made newer than the state it replaced (time raised to the previous version's
// time + 1 ms when the clock or the application's timestamp is behind), so a
// delete beats the row it removed and a re-creation beats the delete, even
// with clocks ahead.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "database/statement.hpp"
#include "nas_sync/value.hpp"

namespace nas_sync {

inline constexpr std::int64_t unknown_time = INT64_MIN;

// Every version time is read within these bounds, 0001-01-01T00:00:00.000Z to
// 9999-12-31T23:59:59.999Z, wherever it comes from (a timestamp, a peer's
// recorded version, a tombstone), and a change made newer than a state at the
// upper bound stays at the bound: a peer's version of INT64_MAX cannot make
// the arithmetic overflow, and every client reads it the same way. States at
// the bound are ordered by the rest of the version (a deletion above a row,
// then the content hash); a local change that cannot outrank the state it
// replaced that way makes the next sync merge every peer whole
// (ChangeCapture), so whichever ranks higher is kept everywhere.
inline constexpr std::int64_t min_version_time = -62135596800000;
inline constexpr std::int64_t max_version_time = 253402300799999;
// A known time within the bounds (unknown_time stays unknown).
std::int64_t clamp_version_time(std::int64_t time);
// The time of a state made to outrank one of time `time`: time + 1 ms, within the bounds.
std::int64_t later_than(std::int64_t time);

// Milliseconds since the Unix epoch, or unknown_time when the value is NULL,
// a BLOB or text that is not a timestamp.
std::int64_t timestamp_ms(const Value& value);

// A tombstone's deletedAt: seconds-only text counts as the end of that second.
std::int64_t deletion_time_ms(const std::string& deleted_at);

// "2026-01-02T03:04:05.678Z"
std::string format_timestamp_ms(std::int64_t ms);

std::int64_t now_ms();
// A time point as milliseconds since the epoch.
std::int64_t to_ms(std::chrono::system_clock::time_point t);

// A stable 64-bit digest of a row's columns and values (column names sorted),
// the same on every client for the same content.
std::uint64_t content_hash(const RowImage& row);

// Who made a record state, and on top of what: kept beside its version so
// that a merge can tell a peer's plain update of a record (made after that
// peer had our state) from a concurrent edit, a conflict. `origin` is a
// digest of the writer's client id (origin_digest); `base` the fingerprint
// of the newest state made by another client that the writer's change
// replaced, carried through the writer's own later changes of the record, so
// that several edits in a row by one client still say what they were made
// on. 0 is unknown (states of the original's clients, of versions kept before
// lineage was, or a new record's base).
struct Lineage {
    std::uint64_t origin = 0;
    std::uint64_t base = 0;
};

// What a client remembers of a record: _nas_sync_versions.
struct StoredVersion {
    std::int64_t time_ms = unknown_time;
    bool deleted = false;
    std::uint64_t content_hash = 0;
    Lineage lineage;
};

// A client's origin: a 64-bit digest of its id, never 0.
std::uint64_t origin_digest(const std::string& client_id);
// A version as one 64-bit value, the same on every client, never 0.
std::uint64_t version_fingerprint(const Version& v);
// The lineage of `state` when it is the state `stored` recorded, else unknown.
Lineage lineage_of(const RecordState& state, const std::optional<StoredVersion>& stored);
// The lineage of a change `origin` makes on top of the recorded state
// `replaced` (none: a new record).
Lineage change_lineage(const std::optional<StoredVersion>& replaced, std::uint64_t origin);
// The lineage of `state` as a change captured here by `origin`: what was
// recorded when the state is still the recorded one, else change_lineage.
Lineage captured_lineage(const RecordState& state, const std::optional<StoredVersion>& stored, std::uint64_t origin);
// Whether a peer's state and ours (made by `origin`) are concurrent edits, as
// far as their lineages tell: ours was made here, the peer's elsewhere, and
// neither was made on top of the other.
bool concurrent_edits(const RecordState& local, const Lineage& local_lineage, const RecordState& remote,
                      const Lineage& remote_lineage, std::uint64_t origin);

// What a database (ours or a peer's copy) holds about a record besides its
// row: its _nas_sync_versions entry and its _tombstone's deletedAt. A copy
// written before lineage was kept has no origin and base columns:
// `with_lineage` false reads without them.
std::optional<StoredVersion> read_stored_version(StatementCache& statements, const std::string& table,
                                                 const std::string& key, bool with_lineage = true);
// The stored version a statement's columns hold from `first` on: time,
// deleted, hash and, `with_lineage`, origin and base; nothing when time is NULL.
std::optional<StoredVersion> stored_version_at(const Statement& s, int first, bool with_lineage);
std::optional<std::string> read_tombstone(StatementCache& statements, const std::string& table, const std::string& key);

// The state of a row whose content is what `stored` recorded (not deleted),
// without its image: what derive_state finds for it.
RecordState recorded_row_state(const StoredVersion& stored);

// The heap memory a state's row image holds, about (its strings' and
// vectors' capacities): what bounds how many records a merge holds at once.
std::size_t heap_bytes(const RecordState& state);

// The state of a record from what a database holds: the row (if any), its
// tombstone's deletedAt (if any) and the stored version (if any). A table
// without a timestamp column ("") dates a row that is not the recorded
// state `unstamped_time` (our own database: now, the time of capture; a
// peer's: unknown, as it captured and recorded every change it published).
RecordState derive_state(std::optional<RowImage> row, const std::string& timestamp_column,
                         const std::optional<std::string>& tombstone, const std::optional<StoredVersion>& stored,
                         std::int64_t unstamped_time = unknown_time);

}  // namespace nas_sync
