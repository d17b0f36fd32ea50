#include "database/wal_write_buffer.hpp"

#include <sqlite3.h>

#include <cstring>
#include <new>
#include <stdexcept>

namespace nas_sync {

namespace {

// The default VFS takes at most 128 KiB - 1 in one write (it masks larger sizes).
constexpr int buffer_bytes = 127 * 1024;
constexpr int frame_header_bytes = 24;

// Our sqlite3_file for a WAL: the default VFS's file lives right after it.
struct WalFile {
    sqlite3_file base;
    sqlite3_file* real;
    char* buffer;            // buffered bytes, to be written at `offset`
    int used;
    sqlite3_int64 offset;
    sqlite3_int64 commit_page_at;  // where the page of a commit frame whose header went out goes, or -1
};

WalFile& wal(sqlite3_file* file) { return *reinterpret_cast<WalFile*>(file); }

int flush(WalFile& f) {
    if (f.used == 0) return SQLITE_OK;
    const int rc = f.real->pMethods->xWrite(f.real, f.buffer, f.used, f.offset);
    f.used = 0;
    return rc;
}

// The frame header's second field is the database size after a commit, 0 otherwise.
bool is_commit_frame_header(const void* data, int amount) {
    if (amount != frame_header_bytes) return false;
    const auto* b = static_cast<const unsigned char*>(data);
    return (b[4] | b[5] | b[6] | b[7]) != 0;
}

int wal_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
    WalFile& f = wal(file);
    const bool commit_header = is_commit_frame_header(data, amount);
    const bool commit_page = offset == f.commit_page_at;
    f.commit_page_at = commit_header ? offset + frame_header_bytes : -1;
    if (commit_header || commit_page || amount > buffer_bytes) {  // straight through, after what came before
        if (const int rc = flush(f); rc != SQLITE_OK) return rc;
        return f.real->pMethods->xWrite(f.real, data, amount, offset);
    }
    const bool appends = f.used > 0 && offset == f.offset + f.used && f.used + amount <= buffer_bytes;
    if (!appends) {
        if (const int rc = flush(f); rc != SQLITE_OK) return rc;
        if (!f.buffer) {
            f.buffer = static_cast<char*>(sqlite3_malloc(buffer_bytes));
            if (!f.buffer) return f.real->pMethods->xWrite(f.real, data, amount, offset);
        }
        f.offset = offset;
    }
    std::memcpy(f.buffer + f.used, data, static_cast<std::size_t>(amount));
    f.used += amount;
    return SQLITE_OK;
}

int wal_close(sqlite3_file* file) {
    WalFile& f = wal(file);
    const int flushed = flush(f);
    sqlite3_free(f.buffer);
    f.buffer = nullptr;
    const int closed = f.real->pMethods->xClose(f.real);
    return flushed != SQLITE_OK ? flushed : closed;
}

// Reading: the buffer is written first when the read needs any of it.
int wal_read(sqlite3_file* file, void* data, int amount, sqlite3_int64 offset) {
    WalFile& f = wal(file);
    if (f.used > 0 && offset < f.offset + f.used && offset + amount > f.offset)
        if (const int rc = flush(f); rc != SQLITE_OK) return rc;
    return f.real->pMethods->xRead(f.real, data, amount, offset);
}

// Every other method: write the buffer, then do what the default file does.
template <auto Method, typename... Args>
int flushed_then(sqlite3_file* file, Args... args) {
    WalFile& f = wal(file);
    f.commit_page_at = -1;
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
    return (f.real->pMethods->*Method)(f.real, args...);
}

int wal_sector_size(sqlite3_file* file) { return wal(file).real->pMethods->xSectorSize(wal(file).real); }
int wal_device_characteristics(sqlite3_file* file) {
    return wal(file).real->pMethods->xDeviceCharacteristics(wal(file).real);
}

// Version 1: SQLite maps and shares memory through the database file only.
const sqlite3_io_methods wal_methods = {
    1,
    wal_close,
    wal_read,
    wal_write,
    flushed_then<&sqlite3_io_methods::xTruncate, sqlite3_int64>,
    flushed_then<&sqlite3_io_methods::xSync, int>,
    flushed_then<&sqlite3_io_methods::xFileSize, sqlite3_int64*>,
    flushed_then<&sqlite3_io_methods::xLock, int>,
    flushed_then<&sqlite3_io_methods::xUnlock, int>,
    flushed_then<&sqlite3_io_methods::xCheckReservedLock, int*>,
    flushed_then<&sqlite3_io_methods::xFileControl, int, void*>,
    wal_sector_size,
    wal_device_characteristics,
    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
};

sqlite3_vfs* base(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

int open_file(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
    sqlite3_vfs* real_vfs = base(vfs);
    if (!(flags & SQLITE_OPEN_WAL)) return real_vfs->xOpen(real_vfs, name, file, flags, out_flags);
    auto& f = *new (file) WalFile{{nullptr}, nullptr, nullptr, 0, 0, -1};
    f.real = reinterpret_cast<sqlite3_file*>(&f + 1);
    const int rc = real_vfs->xOpen(real_vfs, name, f.real, flags, out_flags);
    if (f.real->pMethods) f.base.pMethods = &wal_methods;  // SQLite closes a file only when it has methods
    return rc;
}

// The VFS's other methods are its base's.
int delete_file(sqlite3_vfs* vfs, const char* name, int sync) { return base(vfs)->xDelete(base(vfs), name, sync); }
int vfs_access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
    return base(vfs)->xAccess(base(vfs), name, flags, out);
}
int full_pathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
    return base(vfs)->xFullPathname(base(vfs), name, n, out);
}
void* dl_open(sqlite3_vfs* vfs, const char* name) { return base(vfs)->xDlOpen(base(vfs), name); }
void dl_error(sqlite3_vfs* vfs, int n, char* out) { base(vfs)->xDlError(base(vfs), n, out); }
void (*dl_sym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
    return base(vfs)->xDlSym(base(vfs), handle, symbol);
}
void dl_close(sqlite3_vfs* vfs, void* handle) { base(vfs)->xDlClose(base(vfs), handle); }
int randomness(sqlite3_vfs* vfs, int n, char* out) { return base(vfs)->xRandomness(base(vfs), n, out); }
int vfs_sleep(sqlite3_vfs* vfs, int microseconds) { return base(vfs)->xSleep(base(vfs), microseconds); }
int current_time(sqlite3_vfs* vfs, double* out) { return base(vfs)->xCurrentTime(base(vfs), out); }
int last_error(sqlite3_vfs* vfs, int n, char* out) { return base(vfs)->xGetLastError(base(vfs), n, out); }
int current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out) { return base(vfs)->xCurrentTimeInt64(base(vfs), out); }

}  // namespace

void register_buffered_wal_vfs(const char* name, sqlite3_vfs* base_vfs) {
    if (!base_vfs || base_vfs->iVersion < 2) throw std::runtime_error("SQLite has no VFS of version 2 or later to buffer");
    auto* vfs = new sqlite3_vfs{};  // registered for the life of the process
    vfs->iVersion = 2;
    vfs->szOsFile = static_cast<int>(sizeof(WalFile)) + base_vfs->szOsFile;
    vfs->mxPathname = base_vfs->mxPathname;
    vfs->zName = name;
    vfs->pAppData = base_vfs;
    vfs->xOpen = open_file;
    vfs->xDelete = delete_file;
    vfs->xAccess = vfs_access;
    vfs->xFullPathname = full_pathname;
    vfs->xDlOpen = dl_open;
    vfs->xDlError = dl_error;
    vfs->xDlSym = dl_sym;
    vfs->xDlClose = dl_close;
    vfs->xRandomness = randomness;
    vfs->xSleep = vfs_sleep;
    vfs->xCurrentTime = current_time;
    vfs->xGetLastError = last_error;
    vfs->xCurrentTimeInt64 = current_time_int64;
    if (sqlite3_vfs_register(vfs, 0) != SQLITE_OK) throw std::runtime_error("cannot register SQLite VFS");
}

const char* buffered_wal_vfs() {
    static const char* name = [] {
        register_buffered_wal_vfs("nas-sync-buffered-wal", sqlite3_vfs_find(nullptr));
        return "nas-sync-buffered-wal";
    }();
    return name;
}

}  // namespace nas_sync
