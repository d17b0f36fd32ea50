// Lineage: what a change made here records of what it was made on, and the
// rule that tells concurrent edits from a peer's plain update, its stale copy
// of our own state, or a state ours replaced.
#include <doctest/doctest.h>

#include "engine/versions/versions.hpp"

using namespace nas_sync;

namespace {

const std::uint64_t ours = origin_digest("A"), theirs = origin_digest("B");

RecordState row_at(std::int64_t time, std::uint64_t hash) {
    RecordState s;
    s.kind = RecordState::Kind::row;
    s.version = {time, false, hash};
    return s;
}

StoredVersion stored(const RecordState& s, Lineage lineage) {
    return {s.version.time_ms, s.version.deletion, s.version.content_hash, lineage};
}

}  // namespace

TEST_CASE("a change made here is made on the other client's state it replaced, carried through our own next ones") {
    const RecordState first = row_at(1000, 11), second = row_at(2000, 22), third = row_at(3000, 33);
    CHECK(captured_lineage(first, std::nullopt, ours).origin == ours);
    CHECK(captured_lineage(first, std::nullopt, ours).base == 0);  // a new record
    // On B's state: based on it.
    const Lineage on_theirs = captured_lineage(second, stored(first, {theirs, 0}), ours);
    CHECK(on_theirs.origin == ours);
    CHECK(on_theirs.base == version_fingerprint(first.version));
    // On our own earlier change: still based on B's state.
    CHECK(captured_lineage(third, stored(second, on_theirs), ours).base == version_fingerprint(first.version));
    // Unchanged since it was recorded: what was recorded.
    CHECK(captured_lineage(second, stored(second, {theirs, 7}), ours).base == 7);
    CHECK(origin_digest("A") != origin_digest("B"));
    CHECK(version_fingerprint(first.version) != version_fingerprint(second.version));
}

TEST_CASE("concurrent edits: ours and theirs, neither made on the other") {
    const RecordState base = row_at(1000, 11), mine = row_at(2000, 22), yours = row_at(3000, 33);
    const Lineage mine_lineage{ours, version_fingerprint(base.version)};
    // Both made on the same state: concurrent, whichever is newer.
    CHECK(concurrent_edits(mine, mine_lineage, yours, {theirs, version_fingerprint(base.version)}, ours));
    // Theirs made on ours: a plain update.
    CHECK_FALSE(concurrent_edits(mine, mine_lineage, yours, {theirs, version_fingerprint(mine.version)}, ours));
    // Theirs is the state ours replaced (a stale copy of it).
    CHECK_FALSE(concurrent_edits(mine, mine_lineage, base, {theirs, 0}, ours));
    // An older state of our own, from a peer that has not merged our newest.
    CHECK_FALSE(concurrent_edits(mine, mine_lineage, base, {ours, 0}, ours));
    // Ours was made elsewhere (we only hold it): not ours to log.
    CHECK_FALSE(concurrent_edits(yours, {theirs, 0}, mine, mine_lineage, ours));
    // Nothing known of theirs (the original's clients): counted as concurrent.
    CHECK(concurrent_edits(mine, mine_lineage, yours, {}, ours));
    // A record we do not have is no conflict.
    CHECK_FALSE(concurrent_edits(RecordState{}, {}, yours, {theirs, 0}, ours));
}

TEST_CASE("a state's lineage is the recorded one only while the state is the recorded one") {
    const RecordState recorded = row_at(1000, 11), changed = row_at(1001, 12);
    const auto entry = std::optional<StoredVersion>(stored(recorded, {theirs, 5}));
    CHECK(lineage_of(recorded, entry).origin == theirs);
    CHECK(lineage_of(changed, entry).origin == 0);
    CHECK(lineage_of(recorded, std::nullopt).origin == 0);
}
