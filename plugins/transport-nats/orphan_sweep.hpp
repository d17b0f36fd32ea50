// Chunks no object owns: left by a put killed after its chunks and before its
// metadata, or by a remove killed after its deleted marker and before its purge.
#pragma once

#include <chrono>
#include <set>
#include <string>

#include "nats_connection.hpp"
#include "object_layout.hpp"

namespace nas_sync::nats_transport {

// The chunk ids (nuids) the bucket's metadata names, from a listing.
struct ChunkReferences {
    std::set<std::string> live;     // by an object's newest metadata
    std::set<std::string> removed;  // by a deleted marker
    std::set<std::string> metadata_subjects;  // every metadata subject the listing read
};

// Purges every chunk subject no live metadata names: at once when a deleted
// marker names it, and otherwise once its first chunk is `abandoned_after`
// older than the stream's newest message (the server's clock, so a client's
// clock does not matter; younger ones may be a put in progress). Nothing is
// purged unless the listing read every metadata subject the stream leader
// knows (a replica catching up may have shown fewer). Costs one stream-info
// request (the bucket's subjects), one direct get per chunk subject no
// metadata names, and one purge per subject purged. The number purged.
std::size_t sweep_orphan_chunks(NatsConnection& connection, const Layout& layout, const ChunkReferences& references,
                                std::chrono::nanoseconds abandoned_after);

}  // namespace nas_sync::nats_transport
