// Values staged for a grouped statement (many rows per INSERT), row after
// row. The slots are kept and overwritten: staging a row copies its strings
// into the memory the last group left, so nothing is allocated once warm,
// which matters as this runs under the write lock.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "nas_sync/value.hpp"

namespace nas_sync {

class StagedValues {
public:
    // A Value, or one of its alternatives (a string is copied into a slot's).
    template <class T>
    void push(T&& value) {
        if (size_ < slots_.size())
            slots_[size_] = std::forward<T>(value);
        else
            slots_.emplace_back(std::forward<T>(value));
        bytes_ += payload_bytes(slots_[size_]);
        ++size_;
    }
    std::size_t size() const { return size_; }
    // The text and blob bytes staged: what bounds a group with large values.
    std::size_t bytes() const { return bytes_; }
    const Value& operator[](std::size_t i) const { return slots_[i]; }
    // Empties them; a slot that held a large value gives its memory back
    // (kept, one large row would hold its size for good).
    void clear() {
        for (std::size_t i = 0; i < size_; ++i)
            if (payload_bytes(slots_[i]) > kept_slot_bytes) slots_[i] = Null{};
        size_ = 0;
        bytes_ = 0;
    }

private:
    static constexpr std::size_t kept_slot_bytes = 1u << 20;
    static std::size_t payload_bytes(const Value& v) {
        if (const auto* s = std::get_if<std::string>(&v)) return s->size();
        if (const auto* b = std::get_if<Blob>(&v)) return b->size();
        return 0;
    }
    std::vector<Value> slots_;
    std::size_t size_ = 0;   // slots in use
    std::size_t bytes_ = 0;  // payload_bytes of the slots in use
};

}  // namespace nas_sync
