#include "engine/fleet/digest_report.hpp"

#include <fmt/format.h>

#include "engine/share/hex_id.hpp"
#include "engine/versions/versions.hpp"
#include "nas_sync/pipeline.hpp"

namespace nas_sync {
using nlohmann::json;

namespace {

constexpr int report_format = 1;

// Each field checked as read: a wrong one is named in the thrown message.
struct Reader {
    const json& object;
    std::string where;

    const json& field(const char* key, json::value_t type, const char* what) const {
        const auto it = object.find(key);
        if (it == object.end()) throw std::runtime_error(fmt::format("{}has no \"{}\"", where, key));
        const bool ok = type == json::value_t::number_integer ? it->is_number_integer() : it->type() == type;
        if (!ok) throw std::runtime_error(fmt::format("{}\"{}\" is not {}", where, key, what));
        return *it;
    }
    std::string text(const char* key) const { return field(key, json::value_t::string, "a string").get<std::string>(); }
    std::int64_t number(const char* key) const {
        return field(key, json::value_t::number_integer, "an integer").get<std::int64_t>();
    }
    std::optional<std::int64_t> optional_number(const char* key) const {
        if (!object.contains(key)) return std::nullopt;
        return number(key);
    }
};

std::uint64_t parse_digest(const std::string& text, const std::string& where) {
    const auto digest = parse_hex_id(text);
    if (!digest) throw std::runtime_error(where + "\"digest\" is not 16 hex digits");
    return *digest;
}

}  // namespace

std::string digest_report_name(const std::string& client) {
    return fmt::format("{}{}.json", digest_reports_folder, client);
}

std::string client_of_digest_report(std::string_view name) {
    constexpr std::string_view tail = ".json";
    if (name.size() <= digest_reports_folder.size() + tail.size() || !name.starts_with(digest_reports_folder) ||
        !name.ends_with(tail))
        return "";
    std::string id(name.substr(digest_reports_folder.size(), name.size() - digest_reports_folder.size() - tail.size()));
    return is_valid_client_id(id) ? id : "";
}

json to_json(const DigestReport& r) {
    json read = json::object();
    for (const auto& [peer, progress] : r.read) {
        json entry = json::object();
        if (progress.changelog) entry["changelog"] = *progress.changelog;
        if (progress.segment) entry["segment"] = *progress.segment;
        read[peer] = std::move(entry);
    }
    json tables = json::object();
    for (const auto& [table, d] : r.tables) tables[table] = {{"rows", d.rows}, {"digest", hex_id(d.digest)}};
    return {{"format", report_format},
            {"client", r.client},
            {"instance", r.instance},
            {"host", r.host},
            {"exchange", r.exchange},
            {"schema_version", r.schema_version},
            {"written", format_timestamp_ms(r.written_ms)},
            {"written_ms", r.written_ms},
            {"published", {{"changelog", r.changelog}, {"snapshot_current", r.snapshot_current}, {"segment", r.segment}}},
            {"read", std::move(read)},
            {"tables", std::move(tables)}};
}

std::variant<DigestReport, std::string> parse_digest_report(std::string_view text) {
    const json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return std::string("is not a JSON object");
    try {
        const Reader top{doc, ""};
        if (top.number("format") != report_format)
            return fmt::format("has format {}; this nas-sync reads format {}", top.number("format"), report_format);
        DigestReport r;
        r.client = top.text("client");
        r.instance = top.text("instance");
        r.host = top.text("host");
        r.exchange = top.text("exchange");
        if (r.exchange != "snapshot" && r.exchange != "journal") return "names an unknown exchange '" + r.exchange + "'";
        r.schema_version = top.text("schema_version");
        r.written_ms = top.number("written_ms");
        const Reader published{top.field("published", json::value_t::object, "an object"), "\"published\" "};
        r.changelog = published.number("changelog");
        r.snapshot_current = published.field("snapshot_current", json::value_t::boolean, "true or false").get<bool>();
        r.segment = published.number("segment");
        for (const auto& [peer, entry] : top.field("read", json::value_t::object, "an object").items()) {
            if (!entry.is_object()) return fmt::format("\"read\" of '{}' is not an object", peer);
            const Reader progress{entry, fmt::format("\"read\" of '{}' ", peer)};
            r.read[peer] = {progress.optional_number("changelog"), progress.optional_number("segment")};
        }
        for (const auto& [table, entry] : top.field("tables", json::value_t::object, "an object").items()) {
            if (!entry.is_object()) return fmt::format("table '{}' is not an object", table);
            const Reader digest{entry, fmt::format("table '{}' ", table)};
            r.tables[table] = {digest.number("rows"), parse_digest(digest.text("digest"), digest.where)};
        }
        return r;
    } catch (const std::exception& e) {  // a Reader's message, or a number out of range
        return std::string(e.what());
    }
}

}  // namespace nas_sync
