#include "engine/apply_batch.hpp"

#include <algorithm>
#include <thread>
#include <utility>

#include "database/statement.hpp"

namespace nas_sync {

using Clock = std::chrono::steady_clock;

namespace {
std::uint64_t queue_key(const std::string& table, const std::string& key) {
    const std::uint64_t hash = std::hash<std::string>{}(key) ^ (std::hash<std::string>{}(table) * 0x9e3779b97f4a7c15ULL);
    return hash == 0 ? 1 : hash;  // 0 marks a free slot
}
}  // namespace

ApplyBatch::ApplyBatch(LocalDatabase& db, Apply apply, Timing timing)
    : db_(db),
      apply_(std::move(apply)),
      timing_(timing),
      released_(Clock::now() - timing.min_release) {}

// After a failure (the caller sees its exception): roll back what is open.
ApplyBatch::~ApplyBatch() {
    if (tx_) db_.abort_apply();
    if (reading_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void ApplyBatch::add(const TableInfo& table, std::string key, RecordState remote) {
    // A key read twice: its first record is applied before its state is read
    // again, and tables are no longer assumed empty (see known_absent).
    const std::uint64_t hash = queue_key(table.name, key);
    if (queued_keys_.contains(hash)) {
        while (!queue_.empty()) apply_some(false);
        for (auto& [t, empty] : empty_tables_) empty = false;
    }
    if (!reading_) {  // one read transaction for the states read between two writes
        exec(db_.handle(), "BEGIN");
        reading_ = true;
    }
    if (queue_.empty()) {
        read_version_ = db_.data_version();
        read_changelog_id_ = db_.max_changelog_id();
        read_generation_ = db_.apply_generation();
        read_start_ = Clock::now();
    }
    std::int64_t rowid = 0;
    RecordState local = known_absent(table) ? RecordState{} : db_.state(table, key, &rowid);
    queued_keys_.insert(hash);
    queue_.push_back({&table, std::move(key), hash, std::move(remote), std::move(local), rowid, false});
    // Reading for min_release after the lock was released lets the application in at no cost.
    const bool read_long_enough = Clock::now() - std::max(released_, read_start_) >= timing_.min_release;
    if (queue_.size() >= timing_.max_buffered || read_long_enough) apply_some(false);
}

// A table that held nothing of ours when first met (a new client's first
// contact) needs no lookups while nobody else commits and no key comes twice:
// then the only rows in it are the ones this batch applied, for other keys.
bool ApplyBatch::known_absent(const TableInfo& table) {
    if (!empty_since_) empty_since_ = read_version_;
    if (*empty_since_ != read_version_) return false;  // another connection committed since: look up
    auto [slot, first] = empty_tables_.try_emplace(&table, false);
    if (first) slot->second = db_.holds_nothing_of(table);
    return slot->second;
}

void ApplyBatch::finish(const std::function<void()>& last) {
    do apply_some(true);
    while (!queue_.empty());
    last();
    commit_write();
}

void ApplyBatch::apply_some(bool leave_open) {
    open_write();
    while (!queue_.empty()) {
        PendingRecord& record = queue_.front();
        if (record.stale) record.local = db_.state(*record.table, record.key, &record.local_rowid);
        apply_(record);
        queued_keys_.erase(record.key_hash);
        queue_.pop_front();
        // The commit holds the lock too, for longer the more pages were
        // changed: stop when what it will take (with a margin) no longer fits.
        const auto commit = std::chrono::duration<double, std::milli>(1.25 * db_.commit_ms_per_record() * ++applied_in_tx_);
        if (Clock::now() - opened_ + commit >= timing_.max_hold) break;
    }
    if (!leave_open || !queue_.empty()) commit_write();
}

// Waits until the lock has been free for min_release (the application's turn:
// a writer waiting in its busy handler retries within that time), then opens
// a write transaction.
void ApplyBatch::open_write() {
    const auto free_for = Clock::now() - released_;
    if (free_for < timing_.min_release) std::this_thread::sleep_for(timing_.min_release - free_for);
    if (reading_) {
        exec(db_.handle(), "COMMIT");
        reading_ = false;
    }
    tx_.emplace(db_);
    opened_ = Clock::now();
    applied_in_tx_ = 0;
    // What the application wrote since, a bounded part of it per transaction
    // (a bulk write of its own is left to the next ones, or the next capture).
    db_.capture(capture_rows_per_transaction);
    db_.begin_apply();
    if (!queue_.empty() && db_.data_version() != read_version_) mark_changed_records_stale();
    ++read_generation_;  // this transaction's end_apply
}

// Another connection committed since the queued states were read: the
// records it may have changed are read again just before they are applied,
// now that nobody else can change them (one by one, so that the time limit
// covers the reading too).
void ApplyBatch::mark_changed_records_stale() {
    const std::int64_t generation = db_.apply_generation();
    const std::int64_t last_logged = db_.max_changelog_id();
    // Another sync applied (its writes are not logged), or the application
    // wrote more rows than are queued (ids only rise, so the difference bounds
    // the count): reading its log under the lock would cost more than reading
    // every queued state again, one by one in time.
    if (generation != read_generation_ || last_logged - read_changelog_id_ > static_cast<std::int64_t>(queue_.size())) {
        for (auto& record : queue_) record.stale = true;
    } else {
        KeyHashSet changed;
        for (const auto& [table, key] : db_.logged_after(read_changelog_id_)) changed.insert(queue_key(table, key));
        if (changed.size() > 0)
            for (auto& record : queue_) record.stale = record.stale || changed.contains(record.key_hash);
    }
    read_version_ = db_.data_version();
    read_changelog_id_ = last_logged;
    read_generation_ = generation;
}

void ApplyBatch::commit_write() {
    db_.end_apply();
    const auto committing = Clock::now();
    tx_->commit();
    tx_.reset();
    released_ = Clock::now();
    // Learned from commits of many records only: a small commit's time is
    // mostly a commit's fixed cost, which says little about a large one.
    if (applied_in_tx_ >= min_records_to_learn) {
        const double ms = std::chrono::duration<double, std::milli>(released_ - committing).count();
        // Rises at once, falls by half: one cheap commit does not make the next
        // one cheap. Kept by the connection, so the next batch starts from it.
        double& estimate = db_.commit_ms_per_record();
        estimate = std::max(ms / static_cast<double>(applied_in_tx_), 0.5 * estimate);
    }
}

}  // namespace nas_sync
