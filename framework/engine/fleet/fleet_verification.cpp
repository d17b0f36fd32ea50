#include "engine/fleet/fleet_verification.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "engine/fleet/digest_report.hpp"
#include "engine/share/clock_check.hpp"
#include "engine/share/share_guard.hpp"
#include "engine/snapshot/snapshot_layout.hpp"
#include "engine/versions/versions.hpp"
#include "nas_sync/error.hpp"

namespace nas_sync {

namespace {

struct Reported {
    DigestReport report;
    ObjectInfo object;
};
using Reports = std::map<std::string, Reported>;

Reports read_reports(Transport& transport, std::vector<std::string>& warnings) {
    Reports reports;
    for (const auto& object : transport.list(digest_reports_folder)) {
        const std::string client = client_of_digest_report(object.name);
        if (client.empty()) continue;  // not a report's name: not ours to read
        if (object.size > max_digest_report_bytes) {
            warnings.push_back(fmt::format("'{}' is {} bytes, more than a digest report can be; not read",
                                           object.name, object.size));
            continue;
        }
        std::string text;
        try {
            text = transport.read_first_bytes(object.name, max_digest_report_bytes);
        } catch (const Error& e) {
            if (e.code() != ErrorCode::not_found) throw;
            continue;  // replaced while we listed: it is put again by that client's next change
        }
        auto parsed = parse_digest_report(text);
        if (const auto* problem = std::get_if<std::string>(&parsed)) {
            warnings.push_back(fmt::format("'{}' {}; not read", object.name, *problem));
        } else if (auto& report = std::get<DigestReport>(parsed); report.client != client) {
            warnings.push_back(fmt::format("'{}' says it is the report of client '{}'; not read", object.name, report.client));
        } else {
            reports[client] = {std::move(report), object};
        }
    }
    return reports;
}

// The synced tables' digests, without the empty ones: a table one client
// does not sync and an empty one compare alike.
std::map<std::string, TableDigest> held(const DigestReport& r) {
    std::map<std::string, TableDigest> out;
    for (const auto& [table, d] : r.tables)
        if (d.rows != 0 || d.digest != 0) out[table] = d;
    return out;
}

std::vector<std::string> differing_tables(const DigestReport& a, const DigestReport& b) {
    const auto x = held(a), y = held(b);
    std::set<std::string> names;
    for (const auto& [t, d] : x) names.insert(t);
    for (const auto& [t, d] : y) names.insert(t);
    std::vector<std::string> out;
    for (const auto& t : names) {
        const auto i = x.find(t), j = y.find(t);
        if (i == x.end() || j == y.end() || !(i->second == j->second)) out.push_back(t);
    }
    return out;
}

// Why `reader` may not hold all that `peer` published, or nothing when it
// has read the peer's latest.
std::optional<std::string> unread(const DigestReport& reader, const DigestReport& peer) {
    if (reader.client == peer.client) return std::nullopt;
    const auto it = reader.read.find(peer.client);
    const PeerRead progress = it != reader.read.end() ? it->second : PeerRead{};
    if (reader.exchange == "journal" && peer.exchange == "journal") {
        if (peer.segment == 0 || progress.segment.value_or(0) >= peer.segment) return std::nullopt;
        return fmt::format("'{}' has not read the latest of '{}' (segment {} of {})", reader.client, peer.client,
                           progress.segment.value_or(0), peer.segment);
    }
    if (!peer.snapshot_current)
        return fmt::format("'{}' reads the snapshot copy of '{}', which lags its journal until its next snapshot "
                           "(journal.snapshot_every)",
                           reader.client, peer.client);
    if (peer.changelog == 0 || progress.changelog.value_or(0) >= peer.changelog) return std::nullopt;
    return fmt::format("'{}' has not read the latest of '{}' (change {} of {})", reader.client, peer.client,
                       progress.changelog.value_or(0), peer.changelog);
}

// Of a peer without a report (the original's client): whether two readers
// read it as far.
std::optional<std::string> read_unlike(const DigestReport& a, const DigestReport& b, const std::string& peer) {
    const auto of = [&](const DigestReport& r) {
        const auto it = r.read.find(peer);
        return it != r.read.end() ? it->second.changelog.value_or(0) : 0;
    };
    const auto x = of(a), y = of(b);
    if (x == y) return std::nullopt;
    const auto& behind = x < y ? a : b;
    return fmt::format("'{}' has read less of '{}' (which publishes no report): change {} against {}", behind.client,
                       peer, std::min(x, y), std::max(x, y));
}

FleetDifference compare(const Reports& reports, const std::set<std::string>& unreported, const DigestReport& client,
                        const std::vector<std::string>& group) {
    const DigestReport& reference = reports.at(group.front()).report;
    FleetDifference d;
    d.client = client.client;
    d.differs_from = group;
    d.tables = differing_tables(client, reference);
    for (const auto& [id, peer] : reports)
        for (const auto* reader : {&client, &reference})
            if (auto why = unread(*reader, peer.report)) d.reasons.push_back(std::move(*why));
    for (const auto& peer : unreported)
        if (auto why = read_unlike(client, reference, peer)) d.reasons.push_back(std::move(*why));
    d.behind = !d.reasons.empty();
    return d;
}

struct Claim {
    std::string instance, host, database;
};

// Each client id's claims (client-<id>.owner-<token>.json), read.
std::map<std::string, std::vector<Claim>> read_claims(Transport& transport, const std::vector<ObjectInfo>& objects) {
    std::map<std::string, std::vector<Claim>> claims;
    for (const auto& object : objects) {
        const auto owner = parse_owner_object_name(object.name);
        if (!owner) continue;
        Claim c{"?", "?", "?"};
        try {
            const auto content = nlohmann::json::parse(transport.read_first_bytes(object.name, 4096), nullptr, false);
            const auto text = [&](const char* key) {
                return content.is_object() && content.contains(key) && content[key].is_string()
                           ? content[key].get<std::string>() : std::string("?");
            };
            if (content.is_object()) c = {text("instance"), text("host"), text("database")};
        } catch (const Error& e) {
            if (e.code() != ErrorCode::not_found) throw;
            continue;  // a claim replaced while we listed
        }
        claims[owner->first].push_back(std::move(c));
    }
    return claims;
}

void check_ids(const Reports& reports, const std::map<std::string, std::vector<Claim>>& claims,
               std::vector<std::string>& problems) {
    const auto who = [](const std::string& instance, const std::string& host) {
        return fmt::format("installation {} on host '{}'", instance, host);
    };
    for (const auto& [client, list] : claims) {
        std::set<std::string> instances;
        for (const auto& c : list) instances.insert(c.instance);
        if (instances.size() > 1) {
            std::vector<std::string> names;
            for (const auto& c : list) names.push_back(who(c.instance, c.host) + ", database '" + c.database + "'");
            problems.push_back(fmt::format("client id '{}' is claimed by {} installations: {}", client,
                                           instances.size(), fmt::join(names, "; ")));
            continue;
        }
        const auto report = reports.find(client);
        if (report == reports.end() || report->second.report.instance.empty() || list.front().instance == "?") continue;
        const auto& r = report->second.report;
        if (r.instance != list.front().instance)
            problems.push_back(fmt::format("client id '{}' is claimed by {}, but its digest report was written by {}: "
                                           "two installations publish as '{}' in turn",
                                           client, who(list.front().instance, list.front().host),
                                           who(r.instance, r.host), client));
    }
}

}  // namespace

FleetVerification verify_fleet(Transport& transport) {
    FleetVerification v;
    const Reports reports = read_reports(transport, v.warnings);
    const auto client_objects = transport.list("client-");
    std::set<std::string> unreported;
    for (const auto& object : client_objects) {
        std::string client = client_of_snapshot_object(object.name);
        if (const auto owner = parse_owner_object_name(object.name)) client = owner->first;
        if (!client.empty() && !reports.count(client)) unreported.insert(client);
    }
    v.unreported.assign(unreported.begin(), unreported.end());
    check_ids(reports, read_claims(transport, client_objects), v.duplicate_client_ids);

    for (const auto& [client, r] : reports) {
        const std::int64_t offset = r.report.written_ms - to_ms(r.object.modified);
        v.clients.push_back({client, r.report.instance, r.report.host, r.report.exchange, r.object.modified, offset});
        if (std::llabs(offset) > clock_tolerance_ms)
            v.clocks.push_back(fmt::format("client '{}' (host '{}'): its clock was {} {} the share's when it put its "
                                           "digest report; versions are times, so a clock ahead wins conflicts it should lose",
                                           client, r.report.host, describe_span(std::llabs(offset)),
                                           offset > 0 ? "ahead of" : "behind"));
    }

    // Clients grouped by what they hold; the largest group (the first by
    // name of equals) is the reference the others are compared with.
    std::map<std::map<std::string, TableDigest>, std::vector<std::string>, std::less<>> groups;
    for (const auto& [client, r] : reports) groups[held(r.report)].push_back(client);
    const std::vector<std::string>* reference = nullptr;
    for (const auto& [digests, members] : groups)
        if (!reference || members.size() > reference->size() ||
            (members.size() == reference->size() && members.front() < reference->front()))
            reference = &members;
    for (const auto& [digests, members] : groups) {
        if (&members == reference) continue;
        for (const auto& client : members)
            v.differences.push_back(compare(reports, unreported, reports.at(client).report, *reference));
    }
    v.agree = v.differences.empty();
    return v;
}

}  // namespace nas_sync
