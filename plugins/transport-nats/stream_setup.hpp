// The bucket's stream: created when missing, checked when it exists.
#pragma once

#include "nats_connection.hpp"
#include "object_layout.hpp"

namespace nas_sync::nats_transport {

// Creates OBJ_<bucket> (object-store settings, the configured replicas) when
// it does not exist. An existing stream is used as it is, whatever its
// replicas or storage; only settings that cannot work (no rollup, no direct
// get, sealed, purge denied, messages that expire or are limited per
// subject, subjects that do not cover the bucket's) are Error(config),
// listed, as is a server whose payload limit is below one chunk.
void ensure_stream(NatsConnection& connection, const Layout& layout);

// Whether the subject filter `filter` (with * and >) matches every subject `pattern` matches.
bool subject_covers(const std::string& filter, const std::string& pattern);

}  // namespace nas_sync::nats_transport
