// Discovery `prisma`: the tables of a database that Prisma manages.
//
// Every model table, keyed by its primary key (@id, or @@id's columns), or
// with none by its first UNIQUE index over NOT NULL columns; the implicit
// many-to-many tables `_<A>To<B>` keyed by (A, B); `updatedAt` (@updatedAt)
// as the timestamp where the model has one, else versions are capture
// times. Never `_prisma_migrations`, `sqlite_*` or the sync's own tables.
#pragma once

#include <nas_sync/discovery.hpp>

#include <map>
#include <set>
#include <string>

namespace nas_sync::prisma_discovery {

struct Rules {
    std::set<std::string> exclude;
    std::map<std::string, std::string> timestamp_columns;  // per-table; "none": no timestamp
};

class PrismaDiscovery final : public TableDiscovery {
public:
    explicit PrismaDiscovery(Rules rules) : rules_(std::move(rules)) {}
    DiscoveryResult discover(const DatabaseSchema& schema) override;

private:
    Rules rules_;
};

}  // namespace nas_sync::prisma_discovery
