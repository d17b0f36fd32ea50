// A set of 64-bit key hashes in one array (open addressing, linear probing):
// ApplyBatch asks it once per record whether a key is already queued, and a
// set of nodes cost an allocation per record. 0 is not a valid hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nas_sync {

class KeyHashSet {
public:
    bool contains(std::uint64_t hash) const;
    void insert(std::uint64_t hash);
    void erase(std::uint64_t hash);
    std::size_t size() const { return count_; }

private:
    std::size_t home(std::uint64_t hash) const { return hash & (slots_.size() - 1); }
    std::vector<std::uint64_t> slots_ = std::vector<std::uint64_t>(1024);  // 0: free; size a power of two
    std::size_t count_ = 0;
};

}  // namespace nas_sync
