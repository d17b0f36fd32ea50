// One sync of a database at a time, across processes: an exclusive lock
// (flock) on "<database>-nas-sync.lock" beside the database, held for the
// whole sync. The file says who holds it (pid, command line, since when),
// so the sync that is refused can name it. The file stays after the sync:
// removing a lock file races with the next process opening it.
#pragma once

#include <filesystem>
#include <string>

namespace nas_sync {

class SyncLock {
public:
    // Takes the lock; when another process holds it, waits for it if `wait`,
    // else throws Error(refused) naming the holder.
    SyncLock(const std::filesystem::path& database, bool wait);
    ~SyncLock();
    SyncLock(const SyncLock&) = delete;
    SyncLock& operator=(const SyncLock&) = delete;

    static std::filesystem::path file_of(const std::filesystem::path& database);

private:
    int fd_ = -1;
};

}  // namespace nas_sync
