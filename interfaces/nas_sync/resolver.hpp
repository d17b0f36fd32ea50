// nas_sync/resolver.hpp: deciding between a record's local and remote state.
//
// The engine calls a resolver only when the two states differ. Resolvers form
// a chain from the pipeline file; an entry may be limited to some tables, and
// the engine skips an entry whose tables do not include the record's. The
// first resolver that does not answer `pass` decides. When every resolver
// passes, the engine applies its own rule: the higher version wins.
//
// A resolver must decide the same way on every client for the same two states
// (use the versions, not the local clock), or clients will not converge.
//
// Threads: resolve() is called from the syncing thread only, one call at a
// time, inside the transaction that applies the peer's changes. It must not
// block on I/O. Throwing nas_sync::Error aborts that peer's round (a warning);
// nothing of that round is applied.
#pragma once

#include <string_view>

#include "nas_sync/value.hpp"

namespace nas_sync {

struct Conflict {
    std::string_view table;
    std::string_view key;            // the primary key as text
    std::string_view remote_client;  // the peer's client id
    const RecordState& local;
    const RecordState& remote;
};

enum class Resolution {
    keep_local,     // leave the local state as it is
    take_remote,    // make the local state equal to the remote one
    delete_record,  // delete the local row (a new local deletion that spreads)
    pass,           // no opinion: ask the next resolver
};

class ConflictResolver {
public:
    virtual ~ConflictResolver() = default;
    ConflictResolver() = default;
    ConflictResolver(const ConflictResolver&) = delete;
    ConflictResolver& operator=(const ConflictResolver&) = delete;

    virtual Resolution resolve(const Conflict& conflict) = 0;
};

}  // namespace nas_sync
