// nas_sync/sync_result.hpp: what a sync reports (its counters, warnings and
// conflicts) and what `status` shows of the share.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace nas_sync {

struct SkippedRemote {
    std::string client;
    std::string remote_schema_version;
    std::string local_schema_version;
};

// A record both sides had, decided by the resolver chain, or the loser of a
// UNIQUE collision (resolver "unique": local is the deleted record's version,
// remote the winner's).
struct ConflictEvent {
    std::string table;
    std::string key;
    std::string peer;
    std::string resolution;  // keep_local, take_remote, delete_record
    std::string resolver;    // the plugin that decided, "version" when all passed, "unique" for a UNIQUE collision
    // Both versions: their time (ms since the epoch) and whether they are a deletion.
    std::int64_t local_time_ms = 0;
    bool local_deleted = false;
    std::int64_t remote_time_ms = 0;
    bool remote_deleted = false;
};

// A peer as a sync found it in its listing of the share, and what of it that
// sync left unread: for /metrics, with no read of the share beyond the sync's own.
struct PeerLag {
    std::string client;
    std::chrono::system_clock::time_point last_publish;  // its newest object on the share, by the share's clock
    // Its objects still unread after the sync: journal segments (its newest
    // base when the segments after what we read are gone), or its snapshot copy
    // (1: not read, e.g. skipped for its schema version or refused).
    std::int64_t unread_objects = 0;
};

struct SyncResult {
    int clients_synced = 0;         // peers read (or found unchanged) this round
    std::int64_t inserted = 0;      // rows created here from peers' states
    std::int64_t updated = 0;       // rows replaced by a peer's newer state
    std::int64_t deleted = 0;       // rows removed (a peer's deletion, a resolver, a UNIQUE collision)
    std::int64_t skipped = 0;       // peers' states not applied because ours was kept
    std::int64_t conflicts_resolved = 0;  // records we and the peer edited apart, decided by the resolver chain
    std::vector<std::string> warnings;
    std::vector<SkippedRemote> skipped_remotes;
    // The first max_listed_conflicts conflicts this sync decided (conflicts_resolved counts them all).
    static constexpr std::size_t max_listed_conflicts = 100;
    std::vector<ConflictEvent> conflicts;
    // Every peer listed, read or not. Not in `sync --json` (status --json shows peers).
    std::vector<PeerLag> peers;
    bool had_changelog_gap = false;
    std::uint64_t bytes_published = 0;
    std::uint64_t bytes_fetched = 0;
    std::int64_t duration_ms = 0;
};

// How far a sync has gone in merging one peer's states, reported as it goes
// (after each write transaction): for progress bars and logs.
struct SyncProgress {
    std::string peer;
    std::int64_t done = 0;    // records of this peer's merge decided and written so far
    std::int64_t total = -1;  // records it has in all, when known (-1: not known)
};

struct PeerStatus {
    std::string client;
    std::chrono::system_clock::time_point last_publish;
    std::uint64_t object_size = 0;
    std::int64_t unread_changes = 0;  // snapshot: changed records not read yet; journal: segments not read yet
    bool never_read = false;          // first contact still to come: a full merge
    bool schema_mismatch = false;
    std::string schema_version;
    bool retired = false;  // journal: silent longer than journal.retire_after, no longer waited for
};

struct Status {
    std::string client_id;
    std::string share;  // where the transport reaches, as it describes it (never a password)
    std::string schema_version;
    std::int64_t unpublished_changes = 0;  // our change-log rows not yet in our published copy
    std::vector<PeerStatus> peers;
    std::vector<std::string> warnings;
};

// What `verify` found on the share (SyncClient::verify): whether the clients
// that publish a digest report hold the same rows, two installations with
// one client id, and clocks that are off.
struct FleetClient {
    std::string client, instance, host;
    std::string exchange;
    std::chrono::system_clock::time_point reported;  // when its report was put, by the share's clock
    std::int64_t clock_offset_ms = 0;                // its clock minus the share's when it put it
};

// A client whose rows differ from those of the largest group of clients that
// agree among themselves.
struct FleetDifference {
    std::string client;
    std::vector<std::string> differs_from;
    std::vector<std::string> tables;  // the synced tables whose rows differ
    // Explained by someone who has not read someone's latest yet (the
    // reasons say who): it may settle by itself. False: a real divergence,
    // though each has read all of the other.
    bool behind = false;
    std::vector<std::string> reasons;
};

struct FleetVerification {
    bool agree = false;  // every client with a report holds the same rows
    std::vector<FleetClient> clients;                // with a report
    std::vector<std::string> unreported;             // publishing on the share without one
    std::vector<FleetDifference> differences;
    std::vector<std::string> duplicate_client_ids;   // two installations publishing as one client id
    std::vector<std::string> clocks;                 // clients whose clock is off from the share's
    std::vector<std::string> warnings;               // reports that could not be read
    bool ok() const { return agree && duplicate_client_ids.empty() && clocks.empty(); }
};

}  // namespace nas_sync
