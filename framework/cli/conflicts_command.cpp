// `conflicts`: the conflicts merges decided, from the local conflict log
// (engine/local/conflict_log.hpp), newest last.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "engine/local/conflict_log.hpp"
#include "engine/versions/versions.hpp"
#include "host/result_json.hpp"
#include "nas_sync/error.hpp"
#include "nas_sync/pipeline.hpp"

namespace nas_sync::cli {
using nlohmann::json;

namespace {

std::string version_text(std::int64_t time_ms, bool deleted) {
    return fmt::format("{}{}", format_timestamp_ms(time_ms), deleted ? " (deleted)" : "");
}

}  // namespace

int conflicts_command(const GlobalOptions& global, const ConflictsOptions& options) {
    const auto config = load_pipeline_file(global.config);
    const auto since = parse_duration(options.since, "--since");
    const auto conflicts = read_conflict_log(config.database, now_ms() - since.count(),
                                             options.table.empty() ? std::nullopt : std::optional(options.table));
    if (global.json) {
        json list = json::array();
        for (const auto& c : conflicts) {
            auto entry = conflict_json(c.event);
            entry["decided"] = format_timestamp_ms(c.decided_ms);
            list.push_back(std::move(entry));
        }
        std::cout << json{{"since", options.since}, {"count", conflicts.size()}, {"conflicts", list}}.dump(2) << "\n";
        return 0;
    }
    std::cout << fmt::format("{} conflict(s) decided in the last {}{}\n", conflicts.size(), options.since,
                             options.table.empty() ? "" : " in table " + options.table);
    for (const auto& c : conflicts)
        std::cout << fmt::format("{}  {} '{}' with peer '{}': {} by {} (local {}, remote {})\n",
                                 format_timestamp_ms(c.decided_ms), c.event.table, c.event.key, c.event.peer,
                                 c.event.resolution, c.event.resolver,
                                 version_text(c.event.local_time_ms, c.event.local_deleted),
                                 version_text(c.event.remote_time_ms, c.event.remote_deleted));
    return 0;
}

}  // namespace nas_sync::cli
