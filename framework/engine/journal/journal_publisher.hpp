// What a journal client publishes of its own, under journal/<our id>/: a
// segment with the records changed since the last one, a base every
// `journal.base_every` segments (or when one of ours was torn), our read
// progress when it changed, and the removal of our segments that every peer
// has read and a base covers (no coordinator: each client reads the others'
// read-<k>.txt). A segment number is never used twice.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "engine/exchange/sync_context.hpp"
#include "engine/exchange/sync_round.hpp"
#include "engine/journal/journal_layout.hpp"
#include "engine/peer/work_folder.hpp"
#include "nas_sync/sync_result.hpp"

namespace nas_sync {

class JournalPublisher {
public:
    JournalPublisher(SyncContext& context, SyncRound& round) : ctx_(context), round_(round) {}

    // Publishes, in order: the torn objects of ours removed, a segment, a
    // base when due, our read progress; then removes what everyone read.
    // `journals` is the listing this sync began with.
    void publish(const std::map<std::string, PeerJournal>& journals, const WorkFolder& work, SyncResult& result);

    // Whether our newest base is on the share as we put it.
    OwnObjects own_objects(const PeerJournal& mine) const;

    // A peer silent longer than journal.retire_after: not waited for.
    bool retired(const PeerJournal& journal) const;

private:
    std::int64_t last_segment_used() const;
    void remove_foreign_objects(const PeerJournal& mine, SyncResult& result);
    void cover_unfinished_segment(const PeerJournal& mine);
    void publish_segment(const WorkFolder& work, SyncResult& result);
    bool remove_torn_objects(const PeerJournal& mine);
    void publish_base(const PeerJournal& mine, bool force, const WorkFolder& work, SyncResult& result);
    void publish_progress(const PeerJournal& mine, const WorkFolder& work, SyncResult& result);
    void remove_read_segments(const std::map<std::string, PeerJournal>& journals, const WorkFolder& work,
                              SyncResult& result);
    // Removes our objects numbered up to `last`; one already gone or refused
    // by the share is left for a later sync.
    void remove_own(const std::map<std::int64_t, ObjectInfo>& objects, std::int64_t last,
                    const std::function<void(std::int64_t)>& removed = {});

    // How far each peer had read us, by the read-<k>.txt it was read from
    // (name, size, modification time): a peer's progress is fetched again
    // only once it published another (a `run` fetches each one once).
    struct ReadOfUs {
        std::string name;
        std::uint64_t size = 0;
        std::chrono::system_clock::time_point modified;
        std::int64_t segment = 0;
    };
    std::map<std::string, ReadOfUs> read_of_us_;

    SyncContext& ctx_;
    SyncRound& round_;
};

}  // namespace nas_sync
