#include "engine/merge/apply_batch.hpp"

#include <algorithm>
#include <thread>
#include <utility>


namespace nas_sync {

namespace {
using Ms = std::chrono::duration<double, std::milli>;

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
}

void ApplyBatch::add(const TableInfo& table, std::string key, RecordState remote, const Lineage& remote_lineage) {
    // A key read twice: its first record is applied before its state is read
    // again, and tables are no longer assumed empty (see known_absent).
    const std::uint64_t hash = queue_key(table.name, key);
    if (queued_keys_.contains(hash)) {
        while (!queue_.empty()) apply_some(false);
        for (auto& [t, empty] : empty_tables_) empty = false;
    }
    if (!reading_) {  // one read transaction for the states read between two writes
        reading_.emplace(db_.connection());
        if (rows_needed_) note_uncaptured();
    }
    if (queue_.empty()) {
        read_version_ = db_.connection().data_version();
        read_changelog_id_ = db_.changes().max_changelog_id();
        read_generation_ = db_.bookkeeping().get(StateKey::apply_generation);
        read_start_ = Clock::now();
    }
    std::int64_t rowid = 0;
    Lineage local_lineage;
    const bool absent = known_absent(table);
    RecordState local = absent ? RecordState{} : read_state(table, key, hash, rowid, local_lineage);
    queued_keys_.insert(hash);
    const bool had_row = local.kind == RecordState::Kind::row;
    const std::size_t bytes = heap_bytes(remote) + heap_bytes(local);
    queued_bytes_ += bytes;
    queue_.push_back({&table, std::move(key), hash, std::move(remote), remote_lineage, std::move(local), local_lineage,
                      rowid, false, had_row, absent, bytes});
    queued_had_row_ += had_row ? 1 : 0;
    if (to_come_ && *to_come_ > 0) --*to_come_;
    if (queue_.size() >= timing_.max_buffered || queued_bytes_ >= timing_.max_buffered_bytes || ready_to_write())
        apply_some(false);
}

RecordState ApplyBatch::read_state(const TableInfo& table, const std::string& key, std::uint64_t key_hash,
                                   std::int64_t& rowid, Lineage& lineage) {
    if (rows_needed_ && !rows_needed_(table) && !uncaptured_.contains(key_hash))
        if (auto recorded = db_.records().recorded_state(table, key, rowid, lineage)) return std::move(*recorded);
    return db_.records().state(table, key, rowid, lineage);
}

// In the read transaction: adds the keys the application changed (logged)
// since the last capture, or since the last look, to uncaptured_. What it
// changes after the transaction began is seen by the staleness check.
void ApplyBatch::note_uncaptured() {
    if (!uncaptured_through_) uncaptured_through_ = db_.bookkeeping().get(StateKey::captured_id);
    const std::int64_t last = db_.changes().max_changelog_id();
    if (last <= *uncaptured_through_) return;
    for (const auto& [table, key] : db_.changes().logged_after(*uncaptured_through_)) uncaptured_.insert(queue_key(table, key));
    uncaptured_through_ = last;
}

// Reading for min_release after the lock was released lets the application
// in at no cost; reading on until the queue holds what a write transaction
// can carry saves a transaction the queue would run dry in.
bool ApplyBatch::ready_to_write() const {
    const auto reading_for = Clock::now() - std::max(released_, read_start_);
    if (reading_for < timing_.min_release) return false;
    const std::size_t had = queued_had_row_, fresh = queue_.size() - queued_had_row_;
    const auto queued = hold_ms(had, fresh);
    if (!queued) return true;  // a kind of record not measured yet: as soon as the lock was free long enough
    const auto& pace = db_.connection().apply_pace();
    if (to_come_) {  // counted at the slower pace
        const double coming = static_cast<double>(*to_come_) * std::max(pace.had_row.hold_ms, pace.new_row.hold_ms);
        const double margin = 0.25 * commit_ms(had + *to_come_, fresh);  // as apply_some's
        if (Ms(*queued + coming + margin) < timing_.max_last_hold) return false;  // finish() applies it all
    }
    return Ms(*queued) >= timing_.max_hold || reading_for >= timing_.max_reading;
}

// Applying and committing records at the pace learned on the connection;
// nothing when a kind of them has not been measured yet.
std::optional<double> ApplyBatch::hold_ms(std::size_t had_row, std::size_t new_row) const {
    const auto& pace = db_.connection().apply_pace();
    if ((had_row > 0 && pace.had_row.hold_ms == 0) || (new_row > 0 && pace.new_row.hold_ms == 0)) return std::nullopt;
    return static_cast<double>(had_row) * pace.had_row.hold_ms + static_cast<double>(new_row) * pace.new_row.hold_ms;
}

double ApplyBatch::commit_ms(std::size_t had_row, std::size_t new_row) const {
    const auto& pace = db_.connection().apply_pace();
    return static_cast<double>(had_row) * pace.had_row.commit_ms + static_cast<double>(new_row) * pace.new_row.commit_ms;
}

// A table that held nothing of ours when first met (a new client's first
// contact) needs no lookups while nobody else commits and no key comes twice:
// then the only rows in it are the ones this batch applied, for other keys.
bool ApplyBatch::known_absent(const TableInfo& table) {
    if (!empty_since_) empty_since_ = read_version_;
    if (*empty_since_ != read_version_) return false;  // another connection committed since: look up
    auto [slot, first] = empty_tables_.try_emplace(&table, false);
    if (first) slot->second = db_.records().holds_nothing_of(table);
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
        queued_bytes_ -= record.bytes;
        if (record.stale) {
            record.local = db_.records().state(*record.table, record.key, record.local_rowid, record.local_lineage);
            record.known_absent = false;
        }
        apply_(record);
        queued_keys_.erase(record.key_hash);
        ++applied_in_tx_;
        if (record.had_row) {
            ++applied_had_row_;
            --queued_had_row_;
        }
        queue_.pop_front();
        // The commit holds the lock too, for longer the more pages were
        // changed: stop when what it will take (with a margin) no longer fits.
        const auto elapsed = Clock::now() - opened_;
        const Ms commit(1.25 * commit_ms(applied_had_row_, applied_in_tx_ - applied_had_row_));
        // finish() queued everything there is: the rest may go in this one.
        if (elapsed + commit >= timing_.max_hold && !(leave_open && rest_fits_last_hold(elapsed))) break;
    }
    if (!leave_open || !queue_.empty()) commit_write();
}

// Whether the rest of the queue, at the pace of this transaction so far, and
// the commit of all of it (with the same margin) end by max_last_hold.
bool ApplyBatch::rest_fits_last_hold(Clock::duration elapsed) const {
    const double applied = static_cast<double>(applied_in_tx_), rest = static_cast<double>(queue_.size());
    const double work = Ms(elapsed).count() * (applied + rest) / applied;
    const std::size_t had = applied_had_row_ + queued_had_row_;
    const double commit = 1.25 * commit_ms(had, applied_in_tx_ + queue_.size() - had);
    return Ms(work + commit) < timing_.max_last_hold;
}

// Waits until the lock has been free for min_release (the application's turn:
// a writer waiting in its busy handler retries within that time), then opens
// a write transaction.
void ApplyBatch::open_write() {
    const auto free_for = Clock::now() - released_;
    if (free_for < timing_.min_release) std::this_thread::sleep_for(timing_.min_release - free_for);
    if (reading_) {
        reading_->commit();
        reading_.reset();
    }
    // A checkpoint of ours running beside a hold syncs files, and a commit
    // stalls behind that by tens of ms, past what a waiting application's busy
    // handler allows for; so while an application is writing (another
    // connection committed since our last transaction), a hold starts once
    // our checkpoint is done. Without writers, nobody waits on a stalled hold.
    if (db_.connection().data_version() != version_at_release_.value_or(read_version_))
        db_.connection().wait_for_checkpoint(timing_.max_checkpoint_wait);
    tx_.emplace(db_.connection());
    opened_ = Clock::now();
    applied_in_tx_ = 0;
    applied_had_row_ = 0;
    // What the application wrote since, a bounded part of it per transaction
    // (a bulk write of its own is left to the next ones, or the next capture).
    db_.changes().capture(capture_rows_per_transaction);
    db_.begin_apply();
    changes_at_open_ = db_.connection().total_changes();
    if (!queue_.empty() && db_.connection().data_version() != read_version_) mark_changed_records_stale();
    ++read_generation_;  // this transaction's end_apply
}

// Another connection committed since the queued states were read: the
// records it may have changed are read again just before they are applied,
// now that nobody else can change them (one by one, so that the time limit
// covers the reading too).
void ApplyBatch::mark_changed_records_stale() {
    const std::int64_t generation = db_.bookkeeping().get(StateKey::apply_generation);
    const std::int64_t last_logged = db_.changes().max_changelog_id();
    // Another sync applied (its writes are not logged), or the application
    // wrote more rows than are queued (ids only rise, so the difference bounds
    // the count): reading its log under the lock would cost more than reading
    // every queued state again, one by one in time.
    if (generation != read_generation_ || last_logged - read_changelog_id_ > static_cast<std::int64_t>(queue_.size())) {
        for (auto& record : queue_) record.stale = true;
    } else {
        KeyHashSet changed;
        for (const auto& [table, key] : db_.changes().logged_after(read_changelog_id_)) changed.insert(queue_key(table, key));
        if (changed.size() > 0)
            for (auto& record : queue_) record.stale = record.stale || changed.contains(record.key_hash);
    }
    read_version_ = db_.connection().data_version();
    read_changelog_id_ = last_logged;
    read_generation_ = generation;
}

void ApplyBatch::commit_write() {
    db_.end_apply();
    const auto committing = Clock::now();
    tx_->commit();
    tx_.reset();
    if (on_commit_) on_commit_();
    released_ = Clock::now();
    version_at_release_ = db_.connection().data_version();
    // Learned from transactions of many records only: a small commit's time
    // is mostly a commit's fixed cost, which says little about a large one.
    // And for the kind of nearly all records only, when they were written
    // (a row and its version each): a mix, or records that changed nothing
    // (states we had already), say little about the next transaction.
    const std::size_t new_rows = applied_in_tx_ - applied_had_row_;
    const bool had_rows = applied_had_row_ * 10 >= applied_in_tx_ * 9;
    const bool written = db_.connection().total_changes() - changes_at_open_ >= static_cast<std::int64_t>(applied_in_tx_);
    if (applied_in_tx_ >= min_records_to_learn && written && (had_rows || new_rows * 10 >= applied_in_tx_ * 9)) {
        const auto applied = static_cast<double>(applied_in_tx_);
        auto& pace = db_.connection().apply_pace().of(had_rows);  // kept by the connection: the next batch starts from it
        // Rises at once, falls by half: one cheap commit does not make the next
        // one cheap. The first measurement replaces the guess.
        const double commit = Ms(released_ - committing).count() / applied;
        pace.commit_ms = pace.hold_ms == 0 ? commit : std::max(commit, 0.5 * pace.commit_ms);
        pace.hold_ms = Ms(released_ - opened_).count() / applied;
    }
}

}  // namespace nas_sync
