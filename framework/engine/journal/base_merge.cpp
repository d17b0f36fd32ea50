#include "engine/journal/base_merge.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

#include "engine/peer/peer_database.hpp"
#include "nas_sync/error.hpp"

namespace nas_sync {
namespace fs = std::filesystem;

namespace {

// Which segment holds each key's newest state (later segments win), sorted by
// key: the base's rows come in key order, so finding each of them here is a
// step forward rather than a hash lookup; a key out of order is searched for.
class NewestInSegments {
public:
    NewestInSegments(const std::vector<std::unique_ptr<PeerDatabase>>& segments, const TableInfo& table) {
        for (std::size_t i = 0; i < segments.size(); ++i)
            segments[i]->for_each_key(table, [&](std::string key) { keys_.push_back({std::move(key), i, false}); });
        // Stable: of a key's entries, the last is from the newest segment; only it stays.
        std::stable_sort(keys_.begin(), keys_.end(), [](const Entry& a, const Entry& b) { return a.key < b.key; });
        std::size_t kept = 0;
        for (std::size_t i = 0; i < keys_.size(); ++i) {
            if (kept > 0 && keys_[kept - 1].key == keys_[i].key)
                keys_[kept - 1].segment = keys_[i].segment;
            else if (kept++ != i)
                keys_[kept - 1] = std::move(keys_[i]);
        }
        keys_.resize(kept);
    }

    // The segment with the key's newest state, once: nothing when no segment
    // has the key, or it was taken before.
    std::optional<std::size_t> take(const std::string& key) {
        while (next_ < keys_.size() && keys_[next_].key < key) ++next_;
        auto at = keys_.begin() + static_cast<std::ptrdiff_t>(next_);
        if (at == keys_.end() || at->key != key)
            at = std::lower_bound(keys_.begin(), keys_.end(), key, [](const Entry& e, const std::string& k) { return e.key < k; });
        if (at == keys_.end() || at->key != key || at->taken) return std::nullopt;
        at->taken = true;
        return at->segment;
    }

    // The keys not taken, in key order, with their segment.
    void for_each_left(const std::function<void(const std::string&, std::size_t)>& visit) const {
        for (const auto& e : keys_)
            if (!e.taken) visit(e.key, e.segment);
    }

private:
    struct Entry {
        std::string key;
        std::size_t segment;
        bool taken;
    };
    std::vector<Entry> keys_;
    std::size_t next_ = 0;  // the keys before it sort before the last key looked up
};

}  // namespace

// The newest base merged in one pass with the segments that follow it: a key
// the segments changed is applied once, in its newest state, instead of
// being inserted from the base and then updated again per segment. Only the
// segments' keys are held in memory (which segment has each key's newest
// state), and only for segments within first_contact_segment_bytes; later
// ones are applied one by one afterwards. The number of the last object
// merged, or nothing when the base cannot be used now.
std::optional<std::int64_t> merge_base_and_segments(SyncContext& context, SyncRound& round, PeerMerge& merge,
                                                    const std::string& peer, const PeerJournal& journal,
                                                    const WorkFolder& work, SyncResult& result) {
    const auto& [base_number, base_object] = *journal.bases.rbegin();
    std::vector<fs::path> copies;
    struct RemoveCopies {
        std::vector<fs::path>& files;
        ~RemoveCopies() {
            std::error_code ec;
            for (const auto& f : files) fs::remove(f, ec);
        }
    } remove_copies{copies};
    copies.push_back(work.file("journal-" + peer + ".sqlite"));
    if (!round.fetch(peer, base_object, copies.back(), result)) return std::nullopt;
    const PeerDatabase base(copies.back());
    if (!round.usable(peer, base, result)) return std::nullopt;

    // The segments after the base, in order, while each can be read now; one
    // that cannot is left to the one-by-one path, which reports why.
    std::vector<std::unique_ptr<PeerDatabase>> segments;
    std::int64_t last = base_number;
    std::uint64_t bytes = 0;
    for (auto it = journal.segments.find(last + 1); it != journal.segments.end() && it->first == last + 1; ++it) {
        bytes += it->second.size;
        if (bytes > first_contact_segment_bytes) break;
        copies.push_back(work.file(fmt::format("journal-{}-{}.sqlite", peer, it->first)));
        try {
            SyncResult not_reported;
            // Not remembered if refused: the one-by-one path reads it next and says why.
            if (!round.fetch(peer, it->second, copies.back(), not_reported, SyncRound::Expect::database, false)) break;
            // Read in key order, and many are open at once: a small cache each.
            auto segment = std::make_unique<PeerDatabase>(copies.back(), 2048);
            if (!round.usable(peer, *segment, not_reported)) break;
            result.bytes_fetched += not_reported.bytes_fetched;
            segments.push_back(std::move(segment));
        } catch (const Error&) {
            break;
        }
        last = it->first;
    }

    const auto& tables = context.db.tables();
    auto records = [&](ReadAhead::Sink& emit) {
        for (const auto& table : tables) {
            NewestInSegments newest(segments, table);
            // The key's state in the segment that holds its newest.
            auto from_segment = [&](const std::string& key, std::size_t segment) {
                Lineage lineage;
                RecordState state = segments[segment]->state(table, key, &lineage);
                emit({&table, key, std::move(state), lineage});
            };
            auto visit = [&](std::string& key, RecordState& state, const Lineage& lineage) {
                const auto segment = newest.take(key);
                if (!segment) return emit(emit.take(table, key, state, lineage));
                from_segment(key, *segment);
            };
            base.for_each_row(table, visit);
            base.for_each_deletion(table, visit);
            // Keys the base does not have, in key order (our table is written in order).
            newest.for_each_left(from_segment);
        }
    };
    merge.apply(peer, records, result, [&] { context.db.peers().record_journal_read(peer, last); },
                base.record_count(tables));  // about: the segments may add keys the base has not
    round.report_skipped_keys(peer, base, result);
    for (const auto& segment : segments) round.report_skipped_keys(peer, *segment, result);
    return last;
}

}  // namespace nas_sync
