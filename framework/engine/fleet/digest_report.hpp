// What each client publishes for `nas-sync verify`: a digest of its synced
// tables and how far it has read each peer, at nas-sync/digests/<client>.json
// (the original's clients ignore the folder). A sync puts it again only when
// what it says changed (it read or published something, its rows changed),
// so an idle sync puts nothing. The format is docs/share-format.md's
// "Digest reports"; a report read back is a stranger's text, checked field
// by field.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "engine/local/table_digests.hpp"

namespace nas_sync {

// How far a client has read a peer, in each numbering it reads peers by.
struct PeerRead {
    std::optional<std::int64_t> changelog;  // the peer's change-log id, read from its snapshot copy
    std::optional<std::int64_t> segment;    // the peer's journal segment (or base) number
};

struct DigestReport {
    std::string client, instance, host;
    std::string exchange;  // "snapshot" or "journal"
    std::string schema_version;
    std::int64_t written_ms = 0;  // the writer's clock when it put the report
    // What the client has published, in the numbers its readers record:
    std::int64_t changelog = 0;     // the change-log id its snapshot copy reaches (0: none)
    bool snapshot_current = true;   // that copy holds all it published (a journal client's may lag)
    std::int64_t segment = 0;       // journal: its newest segment or base number (0: none)
    std::map<std::string, PeerRead> read;        // by peer
    std::map<std::string, TableDigest> tables;   // by synced table
};

inline constexpr std::string_view digest_reports_folder = "nas-sync/digests/";
std::string digest_report_name(const std::string& client);
// The client a report's name names; "" for other names.
std::string client_of_digest_report(std::string_view name);

// Reports are small; a larger object is not read (a stranger's file).
inline constexpr std::size_t max_digest_report_bytes = 1 << 20;

nlohmann::json to_json(const DigestReport& report);
// A report from the share: the report, or what is wrong with it.
std::variant<DigestReport, std::string> parse_digest_report(std::string_view text);

}  // namespace nas_sync
