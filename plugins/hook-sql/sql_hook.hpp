// Hook `sql`: after a sync that changed rows, runs the pipeline's statements
// on the local database in one transaction (cache tables, summaries: what the
// original's onAfterSync(localDb) did). It opens its own connection: the
// host's is never handed to a plugin.
#pragma once

#include <nas_sync/hook.hpp>

#include <string>
#include <vector>

namespace nas_sync::sql_hook {

class SqlHook final : public SyncHook {
public:
    explicit SqlHook(std::vector<std::string> statements) : statements_(std::move(statements)) {}
    // On complete with rows changed only; other events do nothing. Throws
    // Error naming the statement's index and SQLite's message, after rolling
    // back every statement of this run.
    void handle(const SyncEvent& event) override;

private:
    std::vector<std::string> statements_;
};

// Waits this long for the database's write lock (the application may hold it).
inline constexpr int busy_timeout_ms = 10'000;

}  // namespace nas_sync::sql_hook
