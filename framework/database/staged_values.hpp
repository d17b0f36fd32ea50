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
        ++size_;
    }
    std::size_t size() const { return size_; }
    const Value& operator[](std::size_t i) const { return slots_[i]; }
    void clear() { size_ = 0; }

private:
    std::vector<Value> slots_;
    std::size_t size_ = 0;  // slots in use
};

}  // namespace nas_sync
