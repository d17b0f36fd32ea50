// What an exchange is given to sync with: the settings it uses, the
// transport, our database, the resolver chain, the share guard, our schema
// version and where decided conflicts are reported. Nothing of how plugins were found, loaded
// or configured: that is the host's (framework/host/).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "engine/local/local_database.hpp"
#include "engine/merge/resolver_chain.hpp"
#include "engine/share/share_guard.hpp"
#include "nas_sync/pipeline.hpp"
#include "nas_sync/sync_result.hpp"
#include "nas_sync/transport.hpp"

namespace nas_sync {

struct SyncSettings {
    std::string client_id;
    std::chrono::milliseconds changelog_retention{std::chrono::hours(24 * 7)};
    bool heartbeat = true;  // write the original's daily heartbeat row
    JournalOptions journal;
    std::chrono::milliseconds merged_publish_every{std::chrono::minutes(10)};
    std::chrono::milliseconds conflict_log_retention{std::chrono::hours(24 * 30)};
};

struct SyncContext {
    SyncSettings settings;
    Transport& transport;
    LocalDatabase& db;
    const ResolverChain& resolvers;
    ShareGuard& guard;  // checked before a sync writes to the share, claimed before its first put
    std::string schema_version;
    std::function<void(const ConflictEvent&)> on_conflict;  // may be empty
    std::function<void(const SyncProgress&)> on_progress;   // may be empty
};

}  // namespace nas_sync
