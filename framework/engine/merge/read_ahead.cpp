#include "engine/merge/read_ahead.hpp"

#include <utility>

namespace nas_sync {

namespace {
struct Stopped {};  // unwinds the producer when the consumer has gone

std::size_t held_bytes(const IncomingRecord& record) { return record.key.capacity() + heap_bytes(record.remote); }
}  // namespace

ReadAhead::ReadAhead(Producer producer) : thread_([this, p = std::move(producer)] { run(p); }) {}

ReadAhead::~ReadAhead() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

void ReadAhead::run(const Producer& producer) {
    try {
        Sink sink(*this);
        producer(sink);
        hand_over();
    } catch (const Stopped&) {
    } catch (...) {
        std::lock_guard lock(mutex_);
        error_ = std::current_exception();
    }
    {
        std::lock_guard lock(mutex_);
        done_ = true;
    }
    changed_.notify_all();
}

void ReadAhead::emit(IncomingRecord record) {
    filling_bytes_ += held_bytes(record);
    filling_.push_back(std::move(record));
    if (filling_.size() >= block_size || filling_bytes_ >= max_block_bytes) {
        hand_over();
        reuse_given_back();
    }
}

IncomingRecord ReadAhead::Sink::take(const TableInfo& table, std::string& key, RecordState& state,
                                     const Lineage& lineage) {
    IncomingRecord record;
    if (!owner_.spare_.empty()) {
        record = std::move(owner_.spare_.back());
        owner_.spare_.pop_back();
        owner_.spare_bytes_ -= held_bytes(record);
    }
    record.table = &table;
    std::swap(record.key, key);
    std::swap(record.remote, state);
    record.lineage = lineage;
    return record;
}

// Keeps given back records for Sink::take, up to max_spare of them and
// max_spare_bytes of memory; the others are destroyed here, outside the lock.
void ReadAhead::reuse_given_back() {
    std::vector<std::vector<IncomingRecord>> spent;
    {
        std::lock_guard lock(mutex_);
        spent.swap(given_back_);
    }
    for (auto& block : spent)
        for (auto& record : block) {
            if (spare_.size() >= max_spare) return;
            const std::size_t bytes = held_bytes(record);
            if (spare_bytes_ + bytes > max_spare_bytes) continue;
            spare_bytes_ += bytes;
            spare_.push_back(std::move(record));
        }
}

void ReadAhead::give_back(std::vector<IncomingRecord> spent) {
    std::lock_guard lock(mutex_);
    given_back_.push_back(std::move(spent));
}

void ReadAhead::hand_over() {
    if (filling_.empty()) return;
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] {
        return stopping_ || blocks_.empty() || (blocks_.size() < max_blocks && queued_bytes_ < max_read_ahead_bytes);
    });
    if (stopping_) throw Stopped{};
    blocks_.push_back(std::move(filling_));
    block_bytes_.push_back(filling_bytes_);
    queued_bytes_ += filling_bytes_;
    filling_ = {};
    filling_.reserve(block_size);
    filling_bytes_ = 0;
    lock.unlock();
    changed_.notify_all();
}

bool ReadAhead::next(std::vector<IncomingRecord>& block) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !blocks_.empty() || done_; });
    if (!blocks_.empty()) {
        block = std::move(blocks_.front());
        blocks_.pop_front();
        queued_bytes_ -= block_bytes_.front();
        block_bytes_.pop_front();
        lock.unlock();
        changed_.notify_all();
        return true;
    }
    if (error_) std::rethrow_exception(error_);
    return false;
}

std::optional<std::size_t> ReadAhead::left() {
    std::lock_guard lock(mutex_);
    if (!done_ || error_) return std::nullopt;
    std::size_t records = 0;
    for (const auto& block : blocks_) records += block.size();
    return records;
}

}  // namespace nas_sync
