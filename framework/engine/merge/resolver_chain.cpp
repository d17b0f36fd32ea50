#include "engine/merge/resolver_chain.hpp"

#include <algorithm>

#include "nas_sync/discovery.hpp"

namespace nas_sync {

bool ResolverEntry::applies_to(std::string_view table) const {
    return tables.empty() ||
           std::any_of(tables.begin(), tables.end(), [&](const std::string& t) { return same_sql_name(t, table); });
}

ResolverChain::Decision ResolverChain::decide(const Conflict& conflict) const {
    for (const auto& entry : entries_) {
        if (!entry.applies_to(conflict.table)) continue;
        const Resolution r = entry.resolver->resolve(conflict);
        if (r != Resolution::pass) return {r, entry.plugin};
    }
    return {conflict.remote.version > conflict.local.version ? Resolution::take_remote : Resolution::keep_local,
            "version"};
}

bool ResolverChain::reads_rows_of(std::string_view table) const {
    return std::any_of(entries_.begin(), entries_.end(), [&](const ResolverEntry& e) { return e.applies_to(table); });
}

const char* to_string(Resolution r) {
    switch (r) {
        case Resolution::keep_local: return "keep_local";
        case Resolution::take_remote: return "take_remote";
        case Resolution::delete_record: return "delete_record";
        case Resolution::pass: return "pass";
    }
    return "pass";
}

}  // namespace nas_sync
