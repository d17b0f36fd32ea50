// One sync of a database at a time, across processes: an exclusive lock
// (flock) on "<database>-nas-sync.lock" beside the database, held for the
// whole sync. And one `nas-sync run` of a database at a time: the same on
// "<database>-nas-sync-run.lock", held for the life of the run, so a second
// daemon (a service and a forgotten terminal) is refused at its start. The file says who holds it (pid, command line, since when),
// so the sync that is refused can name it. The file stays after the sync:
// removing a lock file races with the next process opening it.
#pragma once

#include <filesystem>
#include <string>

namespace nas_sync {

enum class LockScope { sync, run };

class SyncLock {
public:
    // Takes the lock; when another process holds it, waits for it if `wait`,
    // else throws Error(refused) naming the holder.
    SyncLock(const std::filesystem::path& database, bool wait, LockScope scope = LockScope::sync);
    ~SyncLock();
    SyncLock(const SyncLock&) = delete;
    SyncLock& operator=(const SyncLock&) = delete;

    static std::filesystem::path file_of(const std::filesystem::path& database, LockScope scope = LockScope::sync);

private:
    int fd_ = -1;
};

}  // namespace nas_sync
