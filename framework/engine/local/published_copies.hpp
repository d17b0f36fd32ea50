// The files we publish, made from our database: a whole copy (a snapshot, or a
// journal base) and a journal segment (only the records changed between two
// points of the change log). Both are local scratch files; the transport's
// put() is what makes them durable on the share.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/local/connection.hpp"
#include "engine/tables/synced_table.hpp"

namespace nas_sync {

// A consistent copy of the database (SQLite's online backup), in
// rollback-journal mode so it opens without -wal/-shm files, that holds the
// rows of `tables` (the synced ones) and of the sync's own tables only:
// every other table is there, empty.
void write_database_copy(Connection& connection, const std::vector<TableInfo>& tables,
                         const std::filesystem::path& copy);

// Change-log rows from which a segment is written with 4 KiB pages instead
// of 1 KiB (measured at 500k rows: 300 changes moved 168 KiB per sync with
// 1 KiB pages and 193 KiB with 4 KiB; 1,000 changes 535 and 497 KiB;
// 10,000 changes 5,152 and 4,422 KiB, built in 99-146 and 85-119 ms).
inline constexpr std::int64_t large_segment_changes = 1000;

// A segment: a small database holding the rows of `tables` that change-log
// rows after `from` up to `to` name, their tombstones and versions, and the
// schema version. Built from a read transaction: the application keeps
// writing meanwhile.
void write_segment(Connection& connection, const std::vector<TableInfo>& tables, std::int64_t from, std::int64_t to,
                   const std::string& schema_version, const std::filesystem::path& file);

}  // namespace nas_sync
