// The original's share layout: each client publishes a whole copy of its
// database as client-<id>.sqlite, and reads its peers' copies, merging their
// states incrementally from their change logs, or in full on first contact
// and after a gap. The snapshot exchange is this layout alone; the journal
// exchange reads snapshot-only peers (the original's clients) through it and
// can keep our own copy fresh for them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/exchange/sync_context.hpp"
#include "engine/exchange/sync_round.hpp"
#include "engine/local/peer_progress.hpp"
#include "engine/merge/peer_merge.hpp"
#include "engine/peer/work_folder.hpp"
#include "nas_sync/sync_result.hpp"
#include "nas_sync/transport.hpp"

namespace nas_sync {

// The object name of a client's snapshot, and the client id in a name (or "").
std::string snapshot_object_name(const std::string& client_id);
std::string client_of_snapshot_object(const std::string& object_name);

class SnapshotLayout {
public:
    SnapshotLayout(SyncContext& context, SyncRound& round, PeerMerge& merge)
        : ctx_(context), round_(round), merge_(merge) {}

    // Reads one peer's snapshot object (skipped when unchanged since `read`,
    // how we last read it), and adds the peer to result.peers.
    void pull(const std::string& peer, const PeerProgress::SnapshotRead& read, const ObjectInfo& object,
              const WorkFolder& work, SyncResult& result);
    // Publishes our copy (after its sequence note) when it holds changes of
    // our own it did not, or when our object on the share is missing or not
    // the size we wrote; when it changed only by merged states, at most every
    // merged_publish_every.
    void publish(SyncResult& result, std::optional<std::uint64_t> own_size, const WorkFolder& work);
    // Whether our copy is on the share as we put it, from its listed size.
    OwnObjects own_objects(std::optional<std::uint64_t> own_size);
    // A snapshot peer as `status` shows it (its copy is fetched to count what we have not read).
    PeerStatus peer_status(const std::string& peer, const ObjectInfo& object, const WorkFolder& work,
                           std::vector<std::string>& warnings);

private:
    // pull's reading: true when nothing of the peer's copy is left unread.
    bool read_copy(const std::string& peer, const PeerProgress::SnapshotRead& read, const ObjectInfo& object,
                   const WorkFolder& work, SyncResult& result);
    // Whether the peer's sequence note says its copy holds nothing of its own
    // after `last_seen` (and has our schema version); false when it has no
    // note (being replaced, or an older client), or one that cannot be read
    // or is not well formed (a warning): the copy is then fetched.
    bool holds_nothing_unread(const std::string& peer, std::int64_t last_seen, std::vector<std::string>& warnings);

    SyncContext& ctx_;
    SyncRound& round_;
    PeerMerge& merge_;
};

}  // namespace nas_sync
