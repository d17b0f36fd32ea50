// Chunks no object owns: left by a put killed after its chunks and before its
// metadata, or by a remove killed after its deleted marker and before its purge.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>

#include "nats_connection.hpp"
#include "object_layout.hpp"

namespace nas_sync::nats_transport {

// What a listing read of the bucket's metadata, for the sweep.
struct ChunkReferences {
    std::set<std::string> live;     // chunk ids (nuids) named by an object's metadata
    std::set<std::string> removed;  // ... by a deleted marker
    struct Newest {
        std::uint64_t sequence = 0;
        std::int64_t time_ns = 0;
        bool deleted = false;
    };
    std::map<std::string, Newest> metadata_subjects;  // the newest message of every metadata subject read

    void add(const std::string& subject, std::uint64_t sequence, std::int64_t time_ns, bool deleted) {
        auto& n = metadata_subjects[subject];
        if (n.sequence < sequence) n = {sequence, time_ns, deleted};
    }
};

// Purges every chunk subject no live metadata names: at once when a deleted
// marker names it, and otherwise once its first chunk is `abandoned_after`
// older than the stream's newest message (the server's clock, so a client's
// clock does not matter; younger ones may be a put in progress). Nothing is
// purged unless the listing read every metadata subject the stream leader
// knows (a replica catching up may have shown fewer). Costs one stream-info
// request (the bucket's subjects), one direct get per chunk subject no
// metadata names, and one purge per subject purged. Deleted markers are
// purged too once `abandoned_after` old, so the names of removed objects
// (every journal segment ever written) do not make listings ever longer; a
// put of the name after the marker keeps its metadata (the purge stops at the
// marker's sequence). The number of subjects purged.
std::size_t sweep_orphan_chunks(NatsConnection& connection, const Layout& layout, const ChunkReferences& references,
                                std::chrono::nanoseconds abandoned_after);

}  // namespace nas_sync::nats_transport
