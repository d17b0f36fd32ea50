// The conflict log: every conflict a merge decided, kept in the local
// database (_nas_sync_conflicts, never in a published copy) for
// conflict_log_retention, for `nas-sync conflicts`. A conflict is recorded in
// the apply transaction that decided it, so the log holds exactly the
// decisions that were committed.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "database/statement.hpp"
#include "nas_sync/sync_result.hpp"

namespace nas_sync {

struct LoggedConflict {
    std::int64_t decided_ms = 0;  // our clock when it was decided
    ConflictEvent event;
};

class ConflictLog {
public:
    explicit ConflictLog(sqlite3* db) : cache_(db) {}

    // Inside the caller's write transaction.
    void record(const ConflictEvent& event);
    // Removes what was decided longer than `retention` ago.
    void prune(std::chrono::milliseconds retention);

private:
    mutable StatementCache cache_;
};

// The decisions logged in `database` since `since_ms` (our clock), of one
// table when `table` is set, oldest first. Reads the file without changing
// it; a database sync never set up has none. Throws Error(io) when the file
// cannot be read.
std::vector<LoggedConflict> read_conflict_log(const std::filesystem::path& database, std::int64_t since_ms,
                                              const std::optional<std::string>& table);

}  // namespace nas_sync
