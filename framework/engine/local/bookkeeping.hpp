// What the engine remembers between syncs: `_nas_sync_state` (key, integer
// value), with the one list of its keys below, and our schema version in the
// original's `_sync_meta`. Read and written inside the caller's transactions.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "database/statement.hpp"

namespace nas_sync {

enum class StateKey {
    captured_id,             // the change log's id up to which local changes have their versions recorded
    applied_seq,             // counts merges that changed our rows (a snapshot to publish again)
    apply_generation,        // counts apply transactions of any sync of this database (ApplyBatch)
    published_changelog_id,  // snapshot: the change log's id our published copy covers
    published_applied_seq,   // snapshot: applied_seq when our copy was published
    published_size,          // snapshot: the size of our copy as we put it (a torn one is put again)
    published_ms,            // snapshot: our clock when we last put our copy
    publish_owed,            // snapshot: 1 while our copy must be put at the next sync (our schema version changed)
    journal_segment,         // journal: the number of our last segment
    journal_segment_used,    // journal: the highest segment number ever put, recorded before the put (never used again)
    journal_read_number,     // journal: the number k of our last read-<k>.txt
    journal_changelog_id,    // journal: the change log's id our last segment covers
    journal_base_plus_one,   // journal: our newest base's number + 1 (0: no base yet)
    journal_base_size,       // journal: the size of that base as we put it
    journal_base_owed,       // journal: 1 while a base must be written (a torn segment of ours was removed)
    journal_read_digest,     // journal: a digest of the read progress we last published
    journal_snapshot_ms,     // journal: when we last published a snapshot for snapshot-only peers
    share_id,                // the id in the marker of the share we sync with (0: none recorded)
    share_verified,          // 1 once the marker was read again after we wrote it (a racing first client)
    owner_token,             // our claim on our client id: client-<id>.owner-<token>.json
    owner_token_pending,     // a claim being put (a sync that dies meanwhile leaves it on the share)
    owner_token_previous,    // the claim before, until its object is removed
    owner_put_ms,            // our clock when we last put our claim (its listed time is the share's clock)
    instance_id,             // this installation's random id, named in our claims
    share_clock_offset_ms,   // the share's clock minus ours, as last measured (clock_check.hpp)
    published_sequence,      // snapshot: the change-log id our published copy reaches, as its readers record it
    digest_report_hash,      // a hash of the digest report we last put (engine/fleet/report_publisher.hpp)
};

// The key's name in _nas_sync_state (stored in users' databases: never renamed).
std::string_view key_name(StateKey key);

class Bookkeeping {
public:
    explicit Bookkeeping(sqlite3* db) : cache_(db) {}

    std::int64_t get(StateKey key) const;  // 0 when unset
    void set(StateKey key, std::int64_t value);
    void clear(StateKey key);
    void increment(StateKey key);

    // Per journal segment of ours on the share: the size we put it with (0: none recorded).
    std::int64_t segment_size(std::int64_t segment) const;
    void set_segment_size(std::int64_t segment, std::int64_t size);
    void clear_segment_size(std::int64_t segment);

    // Per synced table: the versions of the rows it had before we synced it are recorded.
    bool baseline_recorded(const std::string& table) const;
    void set_baseline_recorded(const std::string& table);

    // Per peer: how far its newest change was ahead of the share's clock when
    // we last read it, in ms (0: not ahead, or never measured).
    std::int64_t peer_ahead_ms(const std::string& peer) const;
    void set_peer_ahead_ms(const std::string& peer, std::int64_t ms);
    // Every peer's, by client id (only those ahead).
    std::map<std::string, std::int64_t> peers_ahead_ms() const;

    // Objects on the share refused for what they are (not a whole database):
    // the signature (size, modification time) they were refused with, so
    // they are not fetched again until they change. 0: none.
    std::int64_t rejected_object(const std::string& name) const;
    void set_rejected_object(const std::string& name, std::int64_t signature);

    // `_sync_meta.schemaVersion`, as the original keeps it ("" when unset).
    std::string schema_version() const;
    void set_schema_version(const std::string& version);

private:
    std::int64_t value(const std::string& key) const;
    void set_value(const std::string& key, std::int64_t value);
    void clear_value(const std::string& key);

    mutable StatementCache cache_;
};

}  // namespace nas_sync
