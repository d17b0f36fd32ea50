// The conflict-resolver chain: the pipeline's resolvers in order, each maybe
// limited to some tables. For a record whose local and remote states differ,
// the first entry that applies to its table and does not pass decides; when
// every one passes, the higher version wins (the engine's own rule).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nas_sync/resolver.hpp"

namespace nas_sync {

struct ResolverEntry {
    std::string plugin;               // the plugin's name, reported as the resolver that decided
    std::vector<std::string> tables;  // empty: every table; names match as SQLite matches them (case aside)
    std::shared_ptr<ConflictResolver> resolver;

    bool applies_to(std::string_view table) const;
};

class ResolverChain {
public:
    ResolverChain() = default;
    explicit ResolverChain(std::vector<ResolverEntry> entries) : entries_(std::move(entries)) {}

    struct Decision {
        Resolution resolution;    // never pass
        std::string_view decided_by;  // the entry's plugin, or "version" when all passed
    };
    Decision decide(const Conflict& conflict) const;

    // Whether any entry applies to the table: then resolvers read our rows
    // themselves, not only their versions.
    bool reads_rows_of(std::string_view table) const;

    const std::vector<ResolverEntry>& entries() const { return entries_; }

private:
    std::vector<ResolverEntry> entries_;
};

const char* to_string(Resolution resolution);

}  // namespace nas_sync
