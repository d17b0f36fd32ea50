// `verify`: whether every client on the share holds the same rows, from the
// digest reports they publish (engine/fleet/fleet_verification.hpp). Exit 0
// when they agree and no client id or clock is in question, 1 otherwise.
#include <fmt/format.h>
#include <fmt/chrono.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "nas_sync/client.hpp"
#include "nas_sync/pipeline.hpp"

namespace nas_sync::cli {
using nlohmann::json;

namespace {

std::string utc(std::chrono::system_clock::time_point t) {
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(t)));
}

json to_json(const FleetVerification& v) {
    json clients = json::array(), differences = json::array();
    for (const auto& c : v.clients)
        clients.push_back({{"client", c.client},
                           {"instance", c.instance},
                           {"host", c.host},
                           {"exchange", c.exchange},
                           {"reported", utc(c.reported)},
                           {"clock_offset_ms", c.clock_offset_ms}});
    for (const auto& d : v.differences)
        differences.push_back({{"client", d.client},
                               {"differs_from", d.differs_from},
                               {"tables", d.tables},
                               {"behind", d.behind},
                               {"reasons", d.reasons}});
    return {{"agree", v.agree},
            {"ok", v.ok()},
            {"clients", clients},
            {"unreported", v.unreported},
            {"differences", differences},
            {"duplicate_client_ids", v.duplicate_client_ids},
            {"clocks", v.clocks},
            {"warnings", v.warnings}};
}

void print_text(const FleetVerification& v) {
    if (v.clients.empty())
        std::cout << "no client has put a digest report yet (each puts one at its first sync that reads or "
                     "publishes something): nothing to compare\n";
    else
        std::cout << fmt::format("{} client(s) report a digest; ", v.clients.size())
                  << (v.agree ? "they hold the same rows\n" : "they do not all hold the same rows\n");
    for (const auto& d : v.differences) {
        std::cout << fmt::format("  '{}' differs from {} in {}: {}\n", d.client, fmt::join(d.differs_from, ", "),
                                 fmt::join(d.tables, ", "),
                                 d.behind ? "behind (it may settle when they sync)" : "DIVERGED (both have read all that was published)");
        for (const auto& reason : d.reasons) std::cout << "    " << reason << "\n";
    }
    if (!v.unreported.empty())
        std::cout << fmt::format("not verified (no digest report: the original's clients, or no sync since nas-sync "
                                 "added reports): {}\n",
                                 fmt::join(v.unreported, ", "));
    for (const auto& p : v.duplicate_client_ids) std::cout << "DUPLICATE CLIENT ID: " << p << "\n";
    for (const auto& c : v.clocks) std::cout << "CLOCK: " << c << "\n";
    for (const auto& w : v.warnings) std::cout << "warning: " << w << "\n";
}

}  // namespace

int verify_command(const GlobalOptions& global) {
    SyncClient client(load_pipeline_file(global.config));
    const FleetVerification v = client.verify();
    if (global.json)
        std::cout << to_json(v).dump(2) << "\n";
    else
        print_text(v);
    return v.ok() ? 0 : 1;
}

}  // namespace nas_sync::cli
