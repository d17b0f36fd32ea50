// An object's bytes as chunk messages: written with pipelined (asynchronous)
// publishes, read back one direct get at a time.
#pragma once

#include <filesystem>

#include "nats_connection.hpp"
#include "object_layout.hpp"

namespace nas_sync::nats_transport {

struct WrittenChunks {
    std::uint64_t size = 0;
    std::uint64_t chunks = 0;
    std::string digest;  // "SHA-256=..."
};

// Publishes `local_file` as chunk messages on `subject` and waits until the
// stream has acknowledged every one. On failure the chunks already stored
// are purged and Error(io) is thrown; a local file that cannot be read is
// Error(io) or Error(not_found) naming it.
WrittenChunks publish_chunks(NatsConnection& connection, const Layout& layout, const std::string& subject,
                             const std::filesystem::path& local_file);

// The first message on `subject` at or after stream sequence `from`, or
// nullptr when there is none. A direct get, answered by any replica: a
// replica that has not caught up yet may miss a message the leader holds, so
// a miss is asked again (another replica may answer) before it counts.
MsgPtr next_chunk(NatsConnection& connection, const Layout& layout, const std::string& subject, std::uint64_t from);

// Removes every message on `subject` (the chunks of one object), or only
// those before stream sequence `before` when it is given.
void purge_subject(NatsConnection& connection, const Layout& layout, const std::string& subject,
                   std::uint64_t before = 0);

}  // namespace nas_sync::nats_transport
