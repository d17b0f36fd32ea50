#include "engine/merge/key_hash_set.hpp"

namespace nas_sync {

bool KeyHashSet::contains(std::uint64_t hash) const {
    for (std::size_t i = home(hash);; i = (i + 1) & (slots_.size() - 1)) {
        if (slots_[i] == hash) return true;
        if (slots_[i] == 0) return false;
    }
}

void KeyHashSet::insert(std::uint64_t hash) {
    if (2 * (count_ + 1) > slots_.size()) {  // at most half full
        std::vector<std::uint64_t> old(2 * slots_.size());
        old.swap(slots_);
        count_ = 0;
        for (const auto h : old)
            if (h != 0) insert(h);
    }
    std::size_t i = home(hash);
    while (slots_[i] != 0 && slots_[i] != hash) i = (i + 1) & (slots_.size() - 1);
    if (slots_[i] == 0) ++count_;
    slots_[i] = hash;
}

// Linear probing without tombstones: the entries after the hole that could
// have been placed in it move back into it.
void KeyHashSet::erase(std::uint64_t hash) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t hole = home(hash);
    while (slots_[hole] != hash) {
        if (slots_[hole] == 0) return;
        hole = (hole + 1) & mask;
    }
    for (std::size_t next = (hole + 1) & mask; slots_[next] != 0; next = (next + 1) & mask) {
        // Move back unless its home lies cyclically in (hole, next].
        const std::size_t h = home(slots_[next]);
        const bool stays = hole <= next ? (hole < h && h <= next) : (hole < h || h <= next);
        if (!stays) {
            slots_[hole] = slots_[next];
            hole = next;
        }
    }
    slots_[hole] = 0;
    --count_;
}

}  // namespace nas_sync
