// How far we have read each peer, kept with our database so that applying a
// peer's changes and recording how far we read them commit together:
//   _sync_state(remoteClientId, lastSeenId, lastSyncedAt)   the original's: the peer's change log read up to
//   _nas_sync_peers(clientId, merged, objectSize, objectModified)  its snapshot object as we last read it
//   _nas_sync_journal(clientId, segment)                    the journal segment read last from it
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "database/statement.hpp"

namespace nas_sync {

class PeerProgress {
public:
    explicit PeerProgress(sqlite3* db) : cache_(db) {}

    // The peer's change-log id we read up to (0: none).
    std::int64_t last_seen_id(const std::string& peer) const;
    // Every peer's, by client id.
    std::map<std::string, std::int64_t> last_seen_ids() const;

    struct SnapshotRead {
        bool merged = false;  // we have merged its snapshot at least once
        std::int64_t object_size = -1;
        std::int64_t object_modified = -1;  // ms since the epoch, as the share listed it
    };
    SnapshotRead snapshot_read(const std::string& peer) const;
    // Records a snapshot of the peer as read: its log up to last_seen_id, the object as listed.
    void record_snapshot_read(const std::string& peer, std::int64_t last_seen_id, std::int64_t object_size,
                              std::int64_t object_modified);

    // The journal segment read last from the peer; nothing: never read.
    std::optional<std::int64_t> journal_read(const std::string& peer) const;
    // Every peer's, by client id.
    std::map<std::string, std::int64_t> journal_reads() const;
    void record_journal_read(const std::string& peer, std::int64_t segment);

    // Every peer is merged whole at the next sync, as on first contact.
    void forget_all();

    // Every peer's journal progress read in one query, for a sync that reads
    // its peers one after another (one query per peer is a tenth of an idle
    // sync at 50 clients). A capture while merging one peer can forget every
    // peer's progress (forget_all); from then on it reads each peer's anew.
    class JournalReads {
    public:
        explicit JournalReads(const PeerProgress& progress)
            : progress_(progress), forgotten_(progress.forgotten_), read_(progress.journal_reads()) {}
        std::optional<std::int64_t> of(const std::string& peer) const;

    private:
        const PeerProgress& progress_;
        std::uint64_t forgotten_;
        std::map<std::string, std::int64_t> read_;
    };

private:
    mutable StatementCache cache_;
    std::uint64_t forgotten_ = 0;  // forget_all calls, rolled back or not
};

}  // namespace nas_sync
