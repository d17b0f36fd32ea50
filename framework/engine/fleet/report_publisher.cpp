#include "engine/fleet/report_publisher.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <fstream>

#include "engine/fleet/digest_report.hpp"
#include "engine/share/hex_id.hpp"
#include "engine/versions/versions.hpp"
#include "nas_sync/error.hpp"

namespace nas_sync {

namespace {

DigestReport our_report(SyncContext& ctx, const std::string& exchange) {
    auto& db = ctx.db;
    const auto& state = db.bookkeeping();
    DigestReport r;
    r.client = ctx.settings.client_id;
    if (const auto instance = state.get(StateKey::instance_id))
        r.instance = hex_id(static_cast<std::uint64_t>(instance));
    r.host = host_name();
    r.exchange = exchange;
    r.schema_version = ctx.schema_version;
    r.changelog = state.get(StateKey::published_sequence);
    r.segment = exchange == "journal" ? state.get(StateKey::journal_segment) : 0;
    // A journal client's snapshot (journal.snapshot_every) lags its journal
    // until the next one: snapshot readers cannot have all of it before.
    r.snapshot_current = exchange != "journal" || state.get(StateKey::journal_changelog_id) == 0 ||
                         (state.get(StateKey::published_size) != 0 &&
                          state.get(StateKey::published_changelog_id) >= state.get(StateKey::journal_changelog_id));
    for (const auto& [peer, id] : db.peers().last_seen_ids())
        if (peer != r.client) r.read[peer].changelog = id;
    for (const auto& [peer, segment] : db.peers().journal_reads())
        if (peer != r.client) r.read[peer].segment = segment;
    const auto digests = db.digests().read();
    for (const auto& table : db.tables()) {
        if (table.name == heartbeat_table_name) continue;
        const auto it = digests.find(table.name);
        r.tables[table.name] = it != digests.end() ? it->second : TableDigest{};
    }
    return r;
}

}  // namespace

void publish_digest_report(SyncContext& ctx, const std::string& exchange, const WorkFolder& work, SyncResult& result) {
    DigestReport report = our_report(ctx, exchange);
    // What the report says, without when it was written.
    const std::string said = to_json(report).dump();
    const auto hash = static_cast<std::int64_t>(XXH3_64bits(said.data(), said.size()));
    auto& state = ctx.db.bookkeeping();
    if (state.get(StateKey::digest_report_hash) == hash) return;
    report.written_ms = now_ms();
    const auto file = work.file("digest.json");
    try {
        std::ofstream(file, std::ios::binary | std::ios::trunc) << to_json(report).dump(1) << "\n";
        ctx.transport.put(file, digest_report_name(report.client));
    } catch (const Error& e) {
        result.warnings.push_back(std::string("could not put our digest report for `nas-sync verify`: ") + e.what());
        return;
    }
    result.bytes_published += std::filesystem::file_size(file);
    WriteTransaction tx(ctx.db.connection());
    state.set(StateKey::digest_report_hash, hash);
    tx.commit();
}

}  // namespace nas_sync
