// A VFS over the default one that gathers the frames a connection appends to
// its WAL and writes them in large pieces.
//
// SQLite writes each WAL frame with two calls (its 24-byte header, then the
// page), so a commit of 5,000 changed pages makes 10,000 write() calls, each
// touching one or two pages of the OS cache: traced, they were over half of
// our commit time, and a commit holds the write lock. Here frames are kept in
// a buffer and written one call per 127 KiB.
//
// Nothing buffered is needed by anyone before it is written:
// - other connections read only frames that a commit has published, and a
//   commit is published after its last frame, the one whose header carries
//   the database size (the commit flag). That frame is written straight
//   through, after everything buffered before it, and its write returns any
//   error of theirs, so a failed write fails the commit as it would without
//   the buffer;
// - every other use of the WAL file by its own connection (reading a frame
//   back, overwriting one, syncing, truncating, asking its size, closing)
//   writes the buffer first (a read, only when it needs buffered bytes).
// A process that dies with frames still buffered dies before their commit
// was published: the same as dying before writing them.
// Files other than WAL files are the default VFS's own, untouched.
#pragma once

#include <sqlite3.h>

namespace nas_sync {

// Registers the VFS over the default one (once per process) and returns its
// name for sqlite3_open_v2.
const char* buffered_wal_vfs();

// Registers one over `base` under `name` (which must outlive it): tests put
// it over a VFS that injects faults.
void register_buffered_wal_vfs(const char* name, sqlite3_vfs* base);

}  // namespace nas_sync
