// The `journal` exchange: each client publishes immutable change segments
// (the rows and deletions it changed, with their versions) and now and then a
// base snapshot; peers read only the segments they have not seen, so a sync
// costs what changed, not the database size.
//
// On the share, per client:
//   journal/<id>/seg-<n>.sqlite   segment n (12 digits): a database holding only
//                                 the changed rows, their tombstones and versions
//   journal/<id>/base-<n>.sqlite  a full copy covering segments up to n
//   journal/<id>/read-<k>.txt     "<peer> <segment>" lines: how far <id> has read
// A client removes its own segments once every peer that is not retired has
// read past them and a base covers them: no coordinator. Peers that publish
// only snapshots (the original's clients) are read as in the snapshot exchange,
// and `journal.snapshot_every` keeps our own snapshot fresh for them.
#pragma once

#include <functional>
#include <map>
#include <optional>

#include "engine/snapshot_exchange.hpp"

namespace nas_sync {

class JournalExchange {
public:
    explicit JournalExchange(SyncContext context) : ctx_(context), snapshot_(std::move(context)) {}
    SyncResult sync();
    Status status();

    // What one client has under journal/<id>/.
    struct PeerJournal {
        std::map<std::int64_t, ObjectInfo> segments, bases, reads;
        std::chrono::system_clock::time_point newest;
    };

    // Segment files merged with a base in one pass at most (the rest are
    // applied one by one): their keys are held in memory meanwhile.
    static constexpr std::uint64_t first_contact_segment_bytes = 128ull << 20;
    // Change-log rows from which a segment is written with 4 KiB pages instead
    // of 1 KiB (measured at 500k rows: 300 changes moved 168 KiB per sync with
    // 1 KiB pages and 193 KiB with 4 KiB; 1,000 changes 535 and 497 KiB;
    // 10,000 changes 5,152 and 4,422 KiB, built in 99-146 and 85-119 ms).
    static constexpr std::int64_t large_segment_changes = 1000;

private:
    void pull(const std::string& peer, const PeerJournal& journal, const WorkFolder& work, SyncResult& result);
    std::optional<std::int64_t> merge_base(const std::string& peer, const PeerJournal& journal, const WorkFolder& work,
                                           SyncResult& result);
    void publish_segment(const PeerJournal& mine, const WorkFolder& work, SyncResult& result);
    bool remove_torn_objects(const PeerJournal& mine);
    void publish_base(const PeerJournal& mine, bool force, const WorkFolder& work, SyncResult& result);
    void publish_progress(const PeerJournal& mine, const WorkFolder& work, SyncResult& result);
    void remove_read_segments(const std::map<std::string, PeerJournal>& journals, const WorkFolder& work,
                              SyncResult& result);
    bool retired(const PeerJournal& journal) const;
    // Removes our objects numbered up to `last`; one already gone or refused
    // by the share is left for a later sync.
    void remove_own(const std::map<std::int64_t, ObjectInfo>& objects, std::int64_t last,
                    const std::function<void(std::int64_t)>& removed = {});

    SyncContext ctx_;
    SnapshotExchange snapshot_;
};

}  // namespace nas_sync
