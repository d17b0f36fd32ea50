#include "cli/exchange_choice.hpp"

#include <fmt/format.h>

#include <set>

#include "engine/journal/journal_layout.hpp"
#include "engine/snapshot/snapshot_layout.hpp"

namespace nas_sync::cli {

namespace {

std::string listed(const std::set<std::string>& ids) {
    constexpr std::size_t shown = 5;
    std::string out;
    std::size_t n = 0;
    for (const auto& id : ids) {
        if (n++ == shown) return out + fmt::format(" and {} more", ids.size() - shown);
        out += (out.empty() ? "" : ", ") + id;
    }
    return out;
}

const char* journal_line = "exchange: journal\n";
const char* mixed_journal = "journal:\n  snapshot_every: 5m   # keeps client-<id>.sqlite fresh for them\n";

}  // namespace

ExchangeChoice choose_exchange(Transport& share, const std::string& client_id, const std::string& forced) {
    if (forced == "snapshot") return {"exchange: snapshot   # chosen with --exchange\n", "snapshot"};
    if (forced == "journal") return {"exchange: journal   # chosen with --exchange\n", "journal"};
    std::vector<std::string> warnings;  // a share's stray names do not change the choice
    const auto journals = list_journals(share, warnings);
    std::set<std::string> journal_clients, snapshot_only;
    for (const auto& [id, journal] : journals)
        if (id != client_id && publishes_journal(journal)) journal_clients.insert(id);
    for (const auto& object : share.list("client-")) {
        const std::string id = client_of_snapshot_object(object.name);
        if (!id.empty() && id != client_id && !journal_clients.count(id)) snapshot_only.insert(id);
    }
    if (snapshot_only.empty())
        return {fmt::format("{}# {}: only what changed is published and read (docs/configuration.md)\n",
                            journal_line,
                            journal_clients.empty() ? "no client on the share yet"
                                                    : "the clients on the share publish journals"),
                "journal"};
    if (journal_clients.empty())
        return {fmt::format("exchange: snapshot\n# the share has clients of the snapshot layout only ({}), such as "
                            "the original sqlite-nas-sync,\n# which read nothing else. Once they all run nas-sync, "
                            "move every client to `exchange: journal`.\n",
                            listed(snapshot_only)),
                "snapshot"};
    return {fmt::format("{}# a mixed share: journal clients ({}) and snapshot-only clients ({}),\n{}", journal_line,
                        listed(journal_clients), listed(snapshot_only), mixed_journal),
            "journal"};
}

}  // namespace nas_sync::cli
