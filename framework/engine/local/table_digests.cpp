#include "engine/local/table_digests.hpp"

namespace nas_sync {

void TableDigests::ensure(const std::string& table) {
    {
        auto known = cache_.use("SELECT 1 FROM _nas_sync_digest WHERE tableName = ?");
        if (known->bind(1, table).step()) return;
    }
    TableDigest d;
    {
        Statement live(db_, "SELECT hash FROM _nas_sync_versions WHERE tableName = ? AND deleted = 0");
        live.bind(1, table);
        while (live.step()) {
            ++d.rows;
            d.digest ^= static_cast<std::uint64_t>(live.integer(0));
        }
    }
    cache_.use("INSERT INTO _nas_sync_digest (tableName, rows, digest) VALUES (?, ?, ?)")
        ->bind(1, table)
        .bind(2, d.rows)
        .bind(3, static_cast<std::int64_t>(d.digest))
        .run();
}

std::map<std::string, TableDigest> TableDigests::read() const {
    std::map<std::string, TableDigest> digests;
    auto all = cache_.use("SELECT tableName, rows, digest FROM _nas_sync_digest");
    while (all->step()) digests[all->text(0)] = {all->integer(1), static_cast<std::uint64_t>(all->integer(2))};
    return digests;
}

}  // namespace nas_sync
