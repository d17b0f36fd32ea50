// The tables and triggers sync adds to the application's database: the
// original's, exactly as docs/original-format.md states (so the original reads
// our copies and we adopt a database it set up), and ours, which the original
// ignores (names starting with '_'):
//   _nas_sync_versions(tableName, recordId, time, deleted, hash, origin, base)
//                                                                  the version of every known record state, and
//                                                                  its lineage (versions.hpp)
//   _nas_sync_state(key, value)                                    bookkeeping (engine/local/bookkeeping.hpp)
//   _nas_sync_peers(clientId, merged, objectSize, objectModified)  what we last read of each peer
//   _nas_sync_journal(clientId, segment)                          journal segments read from each peer
//   _nas_sync_conflicts(decidedAt, tableName, recordId, peer, ...) the conflict log (conflict_log.hpp); local only
//   _nas_sync_digest(tableName, rows, digest)                     each synced table's live records as one
//                                                                  digest, kept as versions are written (table_digests.hpp)
#pragma once

#include <sqlite3.h>

#include <string>
#include <vector>

#include "engine/tables/synced_table.hpp"

namespace nas_sync {

// CREATE ... IF NOT EXISTS for every internal table: idempotent.
extern const char* const internal_tables_sql;

// Adds the columns that internal tables set up by an earlier version lack
// (_nas_sync_versions' origin and base, as 0: unknown). In the caller's
// write transaction, after internal_tables_sql.
void upgrade_internal_tables(sqlite3* db);

// The internal tables a copy we publish keeps: all of the above but the
// conflict log, which stays on this computer. A unit test holds this list to
// internal_tables_sql.
extern const std::vector<std::string> published_internal_tables;
inline constexpr const char* conflict_log_table = "_nas_sync_conflicts";

// The change-log trigger of one operation ("insert", "update", "delete") on
// one table, and its name. The delete trigger records the deletion time with
// milliseconds (the original writes whole seconds).
std::string trigger_name(const std::string& operation, const std::string& table);
std::string trigger_sql(const std::string& operation, const TableInfo& table);

}  // namespace nas_sync
