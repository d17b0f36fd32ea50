// list(): the newest metadata message of every name in the bucket.
#pragma once

#include <nas_sync/transport.hpp>

#include <chrono>
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
// The first listing of a transport, and then one an hour, also sweeps the
// chunks no metadata names and old deleted markers (orphan_sweep.hpp), from
// what it has just read.
struct ListingState {
    std::chrono::steady_clock::time_point walk_until{};
    std::chrono::steady_clock::time_point sweep_due{};
    std::chrono::nanoseconds abandoned_after = std::chrono::hours(1);  // see sweep_orphan_chunks()
};
std::vector<ObjectInfo> list_objects(NatsConnection& connection, const Layout& layout, std::string_view prefix,
                                     ListingState& state);

}  // namespace nas_sync::nats_transport
