// Randomized fleets on a schema as Prisma writes it
// (tests/fixtures/prisma/schema.sql): three clients create, update and
// delete users (a UNIQUE email from few values), posts (author CASCADE,
// editor SET NULL), tags, likes (composite id, RESTRICT on the user, no
// updatedAt) and tag links (_PostToTag), with foreign keys ON as Prisma opens
// the database, and sync in a random order driven by a seed. Once they stop
// and have synced, all five tables are identical on every client and
// PRAGMA foreign_key_check is empty everywhere.
#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include <random>
#include <sstream>

#include "fleet.hpp"
#include "property_options.hpp"

using namespace nas_sync;
using namespace nas_sync::test;

namespace {

const std::vector<std::string> join_tables{"_PostToTag"};

class RandomPrismaFleet {
public:
    RandomPrismaFleet(std::uint64_t seed, int ops, ExchangeLayout exchange)
        : rng_(seed), ops_(ops), fleet_({"A", "B", "C"}, read_file(test_fixtures_dir() / "prisma" / "schema.sql"),
                                        options(exchange)) {}

    std::string run() {
        for (int i = 0; i < ops_; ++i) step();
        for (int round = 0; round < 4; ++round)
            for (const auto& id : fleet_.ids()) fleet_.sync(id);
        return check();
    }

private:
    static ClientOptions options(ExchangeLayout exchange) {
        ClientOptions o;
        o.exchange = exchange;
        o.journal.base_every = 3;
        o.discovery = PluginSection{.plugin = "prisma", .key = "discovery"};
        return o;
    }
    std::uint64_t pick(std::uint64_t n) { return rng_() % n; }
    std::string any(const char* prefix, std::uint64_t n) { return fmt::format("'{}{}'", prefix, pick(n)); }

    // One application statement; what the schema refuses (a missing parent,
    // RESTRICT, a taken email, a repeated key) the application handles.
    void app(const std::string& id, const std::string& sql) {
        try {
            fleet_.write(id, sql);
        } catch (const SQLite::Exception&) {
        }
    }

    void step() {
        const std::string id = fleet_.ids()[pick(3)];
        clock_ms_ += 1 + static_cast<std::int64_t>(pick(3000));
        const std::int64_t t = clock_ms_;
        switch (pick(14)) {
            case 0:
            case 1: fleet_.sync(id); return;
            case 2:
                return app(id, fmt::format("INSERT INTO \"User\" VALUES ({}, {}, 'n{}', {}) ON CONFLICT(id) DO UPDATE SET "
                                           "name = excluded.name, \"updatedAt\" = excluded.\"updatedAt\"",
                                           any("u", 4), any("e", 5), pick(9), t));
            case 3:
                if (pick(2)) app(id, fmt::format("DELETE FROM \"Like\" WHERE \"userId\" = {}", any("u", 4)));
                return app(id, fmt::format("DELETE FROM \"User\" WHERE id = {}", any("u", 4)));
            case 4:
            case 5:
                return app(id, fmt::format("INSERT INTO \"Post\" VALUES ({}, 't{}', {}, {}, {}) ON CONFLICT(id) DO UPDATE "
                                           "SET title = excluded.title, \"editorId\" = excluded.\"editorId\", "
                                           "\"updatedAt\" = excluded.\"updatedAt\"",
                                           any("p", 6), pick(9), any("u", 4), pick(3) ? any("u", 4) : "NULL", t));
            case 6: return app(id, fmt::format("DELETE FROM \"Post\" WHERE id = {}", any("p", 6)));
            case 7:
                return app(id, fmt::format("INSERT OR REPLACE INTO \"Tag\" VALUES ({}, 'g{}', {})", any("t", 3), pick(9), t));
            case 8: return app(id, fmt::format("DELETE FROM \"Tag\" WHERE id = {}", any("t", 3)));
            case 9:
            case 10:
                return app(id, fmt::format("INSERT INTO \"Like\" (\"userId\", \"postId\") VALUES ({}, {})", any("u", 4),
                                           any("p", 6)));
            case 11:
                return app(id, fmt::format("DELETE FROM \"Like\" WHERE \"userId\" = {} AND \"postId\" = {}", any("u", 4),
                                           any("p", 6)));
            case 12:
                return app(id, fmt::format("INSERT INTO \"_PostToTag\" VALUES ({}, {})", any("p", 6), any("t", 3)));
            default:
                return app(id, fmt::format("DELETE FROM \"_PostToTag\" WHERE \"A\" = {} AND \"B\" = {}", any("p", 6),
                                           any("t", 3)));
        }
    }

    std::string check() {
        std::ostringstream problems;
        const auto first = fleet_.dump("A", join_tables);
        for (const auto& id : fleet_.ids()) {
            const auto mine = fleet_.dump(id, join_tables);
            for (const auto& [table, rows] : first.items())
                if (mine[table] != rows)
                    problems << "client " << id << " differs from client A in " << table << ": " << mine[table].dump()
                             << " vs " << rows.dump() << "\n";
            SQLite::Database db(fleet_.database(id).string(), SQLite::OPEN_READONLY);
            SQLite::Statement violations(db, "PRAGMA foreign_key_check");
            while (violations.executeStep())
                problems << "client " << id << ": foreign_key_check says " << violations.getColumn(0).getString() << "|"
                         << violations.getColumn(1).getString() << "|" << violations.getColumn(2).getString() << "\n";
            const std::string integrity = db.execAndGet("PRAGMA integrity_check").getString();
            if (integrity != "ok") problems << "client " << id << ": integrity_check says " << integrity << "\n";
        }
        return problems.str();
    }

    std::mt19937_64 rng_;
    int ops_;
    Fleet fleet_;
    std::int64_t clock_ms_ = 1767225600000;  // 2026-01-01
};

void run_seeds(const char* test_name, ExchangeLayout exchange) {
    const auto& o = property_options;
    int failed = 0;
    for (int seed = o.first_seed; seed < o.first_seed + o.seeds; ++seed) {
        const std::string problems = RandomPrismaFleet(static_cast<std::uint64_t>(seed), o.ops, exchange).run();
        if (problems.empty()) continue;
        ++failed;
        FAIL_CHECK(fmt::format("seed {} failed:\n{}replay: {} --first-seed {} --seeds 1 --ops {} -tc=\"{}\"", seed,
                               problems, o.program, seed, o.ops, test_name));
        if (failed >= 3) break;
    }
    MESSAGE(o.seeds << " seeds from " << o.first_seed << ", " << o.ops << " operations each, " << failed << " failed");
    CHECK(failed == 0);
}

}  // namespace

TEST_CASE("prisma: randomized fleets end identical with no foreign-key violation") {
    run_seeds("prisma: randomized fleets end identical with no foreign-key violation", ExchangeLayout::snapshot);
}

TEST_CASE("prisma journal: randomized fleets end identical with no foreign-key violation") {
    run_seeds("prisma journal: randomized fleets end identical with no foreign-key violation", ExchangeLayout::journal);
}
