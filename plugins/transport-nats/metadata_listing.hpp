// list(): the newest metadata message of every name in the bucket.
#pragma once

#include <nas_sync/transport.hpp>

#include <chrono>
#include <memory>
#include <string_view>
#include <vector>

#include "nats_connection.hpp"
#include "object_layout.hpp"

namespace nas_sync::nats_transport {

// The objects whose name starts with `prefix`, sorted by name, with their
// size and their metadata message's time. Names are encoded in the metadata
// subjects, so every name is read and the prefix applied here.
//
// One pass: an ordered consumer delivers the newest metadata message of
// every name (DeliverLastPerSubject), costing a request to see whether there
// is any metadata, the consumer's creation and deletion, and one delivered
// message per name. nats-server before 2.9.14 may place that consumer on a
// cluster node that is down, and its creation then never answers: after a
// short wait the metadata is walked instead with direct gets (next message
// on $O.<bucket>.M.>), one request per name, answered by any replica, and
// for a minute after that every listing walks without waiting.
//
// What a listing read is kept: the next one asks for the stream's newest
// metadata message, and when it is the one read last, answers from what it
// kept (an idle sync's two listings cost one request each); when it is newer,
// it reads only the metadata messages after it: by direct gets when they are
// few, streamed by an ordered consumer from that sequence on when the stream
// grew by 64 messages or more (a fleet of 50 writes about three metadata
// messages per client and round, and a get each was a round trip each); and
// everything again if those did not reach it (a replica behind the leader
// answered).
//
// The first listing of a transport, and then one an hour, reads everything
// again and also sweeps the chunks no metadata names and old deleted markers
// (orphan_sweep.hpp), from what it has just read.
struct ListingCache;  // metadata_listing.cpp
struct ListingState {
    std::chrono::steady_clock::time_point walk_until{};
    std::chrono::steady_clock::time_point sweep_due{};
    std::chrono::nanoseconds abandoned_after = std::chrono::hours(1);  // see sweep_orphan_chunks()
    std::shared_ptr<ListingCache> cache;  // none before the first listing
};
std::vector<ObjectInfo> list_objects(NatsConnection& connection, const Layout& layout, std::string_view prefix,
                                     ListingState& state);

}  // namespace nas_sync::nats_transport
