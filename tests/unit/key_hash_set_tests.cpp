// The queued-key set of ApplyBatch against std::set: random inserts, erases
// and lookups on hashes that crowd a few slots (long probe runs, wrapping
// around the end of the array, growing), so erase's moving back is exercised.
#include <doctest/doctest.h>

#include <random>
#include <set>
#include <vector>

#include "engine/merge/key_hash_set.hpp"

using nas_sync::KeyHashSet;

TEST_CASE("the key hash set answers as std::set does, through growth and erasure") {
    std::mt19937_64 rng(1);
    // Multiples of 1024 plus 1..3: all land on a handful of home slots.
    auto crowded_hash = [&] { return (rng() % 5000) * 1024 + 1 + rng() % 3; };
    for (int round = 0; round < 50; ++round) {
        KeyHashSet set;
        std::set<std::uint64_t> expected;
        std::vector<std::uint64_t> present;
        for (int op = 0; op < 20000; ++op) {
            const std::uint64_t hash = crowded_hash();
            if (present.empty() || rng() % 3 != 0) {
                if (expected.insert(hash).second) present.push_back(hash);
                set.insert(hash);
            } else {
                const std::size_t i = rng() % present.size();
                set.erase(present[i]);
                expected.erase(present[i]);
                present[i] = present.back();
                present.pop_back();
            }
            if (op % 97 == 0) {
                for (int probe = 0; probe < 50; ++probe) {
                    const std::uint64_t h = crowded_hash();
                    REQUIRE(set.contains(h) == (expected.count(h) == 1));
                }
            }
        }
        REQUIRE(set.size() == expected.size());
        for (const auto h : expected) REQUIRE(set.contains(h));
    }
}

TEST_CASE("erasing a hash that is not there changes nothing") {
    KeyHashSet set;
    set.insert(1025);
    set.insert(2049);
    set.erase(3073);  // same home slot, absent
    CHECK(set.size() == 2);
    CHECK(set.contains(1025));
    CHECK(set.contains(2049));
}
