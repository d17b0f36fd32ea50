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
#include <utility>

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

    // Every peer's progress of one kind read in one query, for a sync that
    // reads its peers one after another (one query per peer is a tenth of an
    // idle sync at 50 clients). A capture while merging one peer can forget
    // every peer's progress (forget_all); from then on each peer's is read anew.
    template <typename Read>
    class ReadAtOnce {
    public:
        using ReadOne = Read (PeerProgress::*)(const std::string&) const;
        ReadAtOnce(const PeerProgress& progress, std::map<std::string, Read> read, ReadOne read_one)
            : progress_(progress), forgotten_(progress.forgotten_), read_(std::move(read)), read_one_(read_one) {}
        // As the one-peer read returns it (Read{}: never read).
        Read of(const std::string& peer) const {
            if (progress_.forgotten_ != forgotten_) return (progress_.*read_one_)(peer);
            const auto it = read_.find(peer);
            return it != read_.end() ? it->second : Read{};
        }

    private:
        const PeerProgress& progress_;
        std::uint64_t forgotten_;
        std::map<std::string, Read> read_;
        ReadOne read_one_;
    };
    ReadAtOnce<std::optional<std::int64_t>> journal_reads_at_once() const;
    ReadAtOnce<SnapshotRead> snapshot_reads_at_once() const;

private:
    mutable StatementCache cache_;
    std::uint64_t forgotten_ = 0;  // forget_all calls, rolled back or not
};

}  // namespace nas_sync
