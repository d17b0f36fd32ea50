// Reads a peer's records on a thread of its own while the caller applies
// them, so that reading the peer's copy and writing our database overlap.
//
// The producer runs on the read-ahead thread and must touch nothing the
// caller uses meanwhile (it reads the peer's copy, through its own
// connection). At most max_blocks blocks are read ahead. An exception of the
// producer is rethrown by next(); destroying the ReadAhead early stops the
// producer at its next emit and joins the thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/tables/synced_table.hpp"
#include "engine/versions/versions.hpp"

namespace nas_sync {

struct IncomingRecord {
    const TableInfo* table;
    std::string key;
    RecordState remote;
    Lineage lineage;  // the remote state's
};

class ReadAhead {
public:
    // Where the producer puts its records, on the read-ahead thread.
    class Sink {
    public:
        void operator()(IncomingRecord record) { owner_.emit(std::move(record)); }
        // A record holding `key` and `state`, which are swapped with the
        // contents of a record the caller gave back: the producer gets that
        // memory (strings, row vectors) to read its next row into, so that a
        // producer reading rows in place allocates nothing once warm.
        IncomingRecord take(const TableInfo& table, std::string& key, RecordState& state, const Lineage& lineage);

    private:
        friend class ReadAhead;
        explicit Sink(ReadAhead& owner) : owner_(owner) {}
        ReadAhead& owner_;
    };
    using Producer = std::function<void(Sink&)>;

    explicit ReadAhead(Producer producer);
    ~ReadAhead();
    ReadAhead(const ReadAhead&) = delete;
    ReadAhead& operator=(const ReadAhead&) = delete;

    // The next block of records into `block`; false when the producer has
    // finished and everything was handed out. Rethrows the producer's error.
    bool next(std::vector<IncomingRecord>& block);
    // Once the producer has finished, how many records next() has still to
    // hand out; nothing before, or after an error.
    std::optional<std::size_t> left();
    // Records the caller is done with, reused (Sink::take) or destroyed on
    // the read-ahead thread, which allocated them: allocating is slow, and
    // freeing another thread's memory more so in glibc's allocator (its
    // arena lock, shared with that thread). Once the producer has finished,
    // they are kept until the ReadAhead is destroyed: not freed by the
    // caller, which may hold the write lock.
    void give_back(std::vector<IncomingRecord> spent);

    static constexpr std::size_t block_size = 256;  // records handed over (and given back) at a time
    // A block also ends once its records hold this much memory, and the
    // blocks read ahead hold max_read_ahead_bytes at most (beyond one block):
    // with rows of 100 MB, counts alone would hold gigabytes.
    static constexpr std::size_t max_block_bytes = 1u << 20;
    static constexpr std::size_t max_read_ahead_bytes = 64u << 20;
    // The memory of the records given back kept for reuse at most (their
    // strings keep the largest size they held: with large rows, fewer are
    // kept).
    static constexpr std::size_t max_spare_bytes = 32u << 20;

private:
    // Enough for the whole of one of ApplyBatch's write transactions (about
    // 8,000 new rows in 50 ms): with 16 blocks the reader stopped during each
    // and a first contact waited for it (5.8-6.6 s instead of 5.1-5.5 s at
    // 500k rows, for 18 MB more at the peak).
    static constexpr std::size_t max_blocks = 64;
    // Records given back kept for Sink::take; more are destroyed (and those
    // beyond max_spare_bytes). As many as can be read ahead: a write
    // transaction gives back about 8,000 at once, and the reader takes them
    // during the next free time.
    static constexpr std::size_t max_spare = max_blocks * block_size;

    void run(const Producer& producer);
    void emit(IncomingRecord record);
    void hand_over();  // the block being filled goes to the queue
    void reuse_given_back();

    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::vector<IncomingRecord>> blocks_;
    std::deque<std::size_t> block_bytes_;  // the memory of each of blocks_
    std::size_t queued_bytes_ = 0;         // their sum
    std::vector<std::vector<IncomingRecord>> given_back_;
    std::vector<IncomingRecord> filling_;  // the producer's, not under the mutex
    std::size_t filling_bytes_ = 0;        // the memory its records hold
    std::vector<IncomingRecord> spare_;    // the producer's: given back, for Sink::take
    std::size_t spare_bytes_ = 0;          // the memory they hold (held_bytes)
    bool done_ = false;
    bool stopping_ = false;
    std::exception_ptr error_;
    std::thread thread_;
};

}  // namespace nas_sync
