#include "engine/local/table_digests.hpp"

namespace nas_sync {

void TableDigests::ensure(const std::string& table) {
    {
        auto known = cache_.use("SELECT 1 FROM _nas_sync_digest WHERE tableName = ?");
        if (known->bind(1, table).step()) return;
    }
    TableDigest d;
    {
        Statement live(db_, "SELECT hash FROM _nas_sync_versions WHERE tableName = ? AND deleted = 0");
        live.bind(1, table);
        while (live.step()) {
            ++d.rows;
            d.digest ^= static_cast<std::uint64_t>(live.integer(0));
        }
    }
    cache_.use("INSERT INTO _nas_sync_digest (tableName, rows, digest) VALUES (?, ?, ?)")
        ->bind(1, table)
        .bind(2, d.rows)
        .bind(3, static_cast<std::int64_t>(d.digest))
        .run();
    if (digested_) digested_->insert(table);
}

std::map<std::string, TableDigest> TableDigests::read() const {
    std::map<std::string, TableDigest> digests;
    auto all = cache_.use("SELECT tableName, rows, digest FROM _nas_sync_digest");
    while (all->step()) digests[all->text(0)] = {all->integer(1), static_cast<std::uint64_t>(all->integer(2))};
    return digests;
}

bool TableDigests::digested(const std::string& table) {
    if (!digested_) {
        digested_.emplace();
        auto all = cache_.use("SELECT tableName FROM _nas_sync_digest");
        while (all->step()) digested_->insert(all->text(0));
    }
    return digested_->count(table) != 0;
}

void TableDigests::before_write(const std::string& table, const std::string& key, bool deleted, std::uint64_t hash,
                                bool known_absent) {
    if (!digested(table)) return;  // the heartbeat, a table before ensure()
    const std::pair<std::string_view, std::string_view> id{table, key};
    std::optional<std::uint64_t> old;
    if (const auto earlier = written_.find(id); earlier != written_.end()) {
        old = earlier->second;
    } else if (!known_absent) {
        if (!current_)
            current_.emplace(db_, "SELECT hash FROM _nas_sync_versions WHERE tableName = ? AND recordId = ? AND deleted = 0");
        try {
            current_->bind(1, table).bind(2, key);
            if (current_->step()) old = static_cast<std::uint64_t>(current_->integer(0));
        } catch (...) {
            current_->reset();
            throw;
        }
        current_->reset();
    }
    const std::optional<std::uint64_t> now = deleted ? std::nullopt : std::optional(hash);
    if (old == now) return;
    auto& change = statement_[table];
    change.rows += (now ? 1 : 0) - (old ? 1 : 0);
    change.digest ^= old.value_or(0) ^ now.value_or(0);
    written_[id] = now;
}

void TableDigests::after_write() {
    for (const auto& [table, change] : statement_) {
        auto& total = pending_[table];
        total.rows += change.rows;
        total.digest ^= change.digest;
    }
    forget_write();
}

void TableDigests::forget_write() {
    statement_.clear();
    written_.clear();
}

void TableDigests::flush() {
    for (const auto& [table, change] : pending_)
        cache_.use("UPDATE _nas_sync_digest SET rows = rows + ?2, digest = (digest | ?3) & ~(digest & ?3) "
                   "WHERE tableName = ?1")
            ->bind(1, table)
            .bind(2, change.rows)
            .bind(3, static_cast<std::int64_t>(change.digest))
            .run();
    pending_.clear();
}

void TableDigests::discard() {
    forget_write();
    pending_.clear();
}

}  // namespace nas_sync
