#include "engine/local/bookkeeping.hpp"

#include <fmt/format.h>

namespace nas_sync {

std::string_view key_name(StateKey key) {
    switch (key) {
        case StateKey::captured_id: return "captured_id";
        case StateKey::applied_seq: return "applied_seq";
        case StateKey::apply_generation: return "apply_generation";
        case StateKey::published_changelog_id: return "published_changelog_id";
        case StateKey::published_applied_seq: return "published_applied_seq";
        case StateKey::published_size: return "published_size";
        case StateKey::published_ms: return "published_ms";
        case StateKey::publish_owed: return "publish_owed";
        case StateKey::journal_segment: return "journal_segment";
        case StateKey::journal_segment_used: return "journal_segment_used";
        case StateKey::journal_read_number: return "journal_read_number";
        case StateKey::journal_changelog_id: return "journal_changelog_id";
        case StateKey::journal_base_plus_one: return "journal_base_plus_one";
        case StateKey::journal_base_size: return "journal_base_size";
        case StateKey::journal_base_owed: return "journal_base_owed";
        case StateKey::journal_read_digest: return "journal_read_digest";
        case StateKey::journal_snapshot_ms: return "journal_snapshot_ms";
        case StateKey::share_id: return "share_id";
        case StateKey::share_verified: return "share_verified";
        case StateKey::owner_token: return "owner_token";
        case StateKey::owner_token_pending: return "owner_token_pending";
        case StateKey::owner_token_previous: return "owner_token_previous";
        case StateKey::owner_put_ms: return "owner_put_ms";
        case StateKey::instance_id: return "instance_id";
        case StateKey::share_clock_offset_ms: return "share_clock_offset_ms";
        case StateKey::published_sequence: return "published_sequence";
        case StateKey::digest_report_hash: return "digest_report_hash";
    }
    return "unknown";
}

namespace {
std::string segment_size_key(std::int64_t segment) { return fmt::format("journal_size:{}", segment); }
const std::string peer_ahead_prefix = "peer_ahead_ms:";
std::string baseline_key(const std::string& table) { return "baseline:" + table; }
}  // namespace

std::int64_t Bookkeeping::get(StateKey key) const { return value(std::string(key_name(key))); }
void Bookkeeping::set(StateKey key, std::int64_t v) { set_value(std::string(key_name(key)), v); }
void Bookkeeping::clear(StateKey key) { clear_value(std::string(key_name(key))); }

void Bookkeeping::increment(StateKey key) {
    cache_.use("INSERT INTO _nas_sync_state (key, value) VALUES (?, 1) ON CONFLICT(key) DO UPDATE SET value = value + 1")
        ->bind(1, std::string(key_name(key)))
        .run();
}

std::int64_t Bookkeeping::segment_size(std::int64_t segment) const { return value(segment_size_key(segment)); }
void Bookkeeping::set_segment_size(std::int64_t segment, std::int64_t size) { set_value(segment_size_key(segment), size); }
void Bookkeeping::clear_segment_size(std::int64_t segment) { clear_value(segment_size_key(segment)); }

bool Bookkeeping::baseline_recorded(const std::string& table) const { return value(baseline_key(table)) != 0; }
void Bookkeeping::set_baseline_recorded(const std::string& table) { set_value(baseline_key(table), 1); }

std::int64_t Bookkeeping::peer_ahead_ms(const std::string& peer) const { return value(peer_ahead_prefix + peer); }

void Bookkeeping::set_peer_ahead_ms(const std::string& peer, std::int64_t ms) {
    if (ms > 0)
        set_value(peer_ahead_prefix + peer, ms);
    else
        clear_value(peer_ahead_prefix + peer);
}

std::map<std::string, std::int64_t> Bookkeeping::peers_ahead_ms() const {
    std::map<std::string, std::int64_t> out;
    auto s = cache_.use("SELECT substr(key, ?), value FROM _nas_sync_state WHERE key >= ? AND key < ?");
    s->bind(1, static_cast<std::int64_t>(peer_ahead_prefix.size() + 1)).bind(2, peer_ahead_prefix).bind(3, std::string("peer_ahead_ms;"));  // the next key after the prefix
    while (s->step()) out[s->text(0)] = s->integer(1);
    return out;
}

std::int64_t Bookkeeping::rejected_object(const std::string& name) const { return value("rejected:" + name); }

void Bookkeeping::set_rejected_object(const std::string& name, std::int64_t signature) {
    if (signature)
        set_value("rejected:" + name, signature);
    else
        clear_value("rejected:" + name);
}

std::string Bookkeeping::schema_version() const {
    auto s = cache_.use("SELECT value FROM _sync_meta WHERE key = 'schemaVersion'");
    return s->step() ? s->text(0) : std::string();
}

void Bookkeeping::set_schema_version(const std::string& version) {
    cache_.use("INSERT INTO _sync_meta (key, value) VALUES ('schemaVersion', ?) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        ->bind(1, version)
        .run();
}

std::int64_t Bookkeeping::value(const std::string& key) const {
    auto s = cache_.use("SELECT value FROM _nas_sync_state WHERE key = ?");
    s->bind(1, key);
    return s->step() ? s->integer(0) : 0;
}

void Bookkeeping::set_value(const std::string& key, std::int64_t v) {
    cache_.use("INSERT INTO _nas_sync_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        ->bind(1, key)
        .bind(2, v)
        .run();
}

void Bookkeeping::clear_value(const std::string& key) {
    cache_.use("DELETE FROM _nas_sync_state WHERE key = ?")->bind(1, key).run();
}

}  // namespace nas_sync
