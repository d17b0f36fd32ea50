// Randomized fleets: 2 to 5 clients write, delete, re-create, age their change
// logs past the retention and sync in a random order driven by a seed; then
// every client syncs until quiet, and all must hold identical rows, each key
// in the state of its highest version
// according to a simple model of the rule (an in-memory last-writer-wins map
// per client, merged by the version rule of docs/architecture.md).
#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include <map>
#include <random>
#include <set>
#include <sstream>

#include "engine/versions/versions.hpp"
#include "fleet.hpp"
#include "nas_sync/error.hpp"
#include "property_options.hpp"

using namespace nas_sync;
using namespace nas_sync::test;

namespace {

const char* schema = R"(
CREATE TABLE notes(id TEXT PRIMARY KEY, body TEXT, updatedAt TEXT);
CREATE TABLE events(id TEXT PRIMARY KEY, v INTEGER, updatedAt INTEGER);
CREATE TABLE items(id TEXT PRIMARY KEY, code TEXT UNIQUE, updatedAt TEXT);
CREATE TABLE parent(id TEXT PRIMARY KEY, name TEXT, updatedAt TEXT);
CREATE TABLE child(id TEXT PRIMARY KEY, parentId TEXT REFERENCES parent(id) ON DELETE CASCADE, updatedAt TEXT);
)";

// Tables whose rows only the application changes: the model predicts them.
const std::vector<std::string> modelled_tables{"notes", "events"};

using RecordKey = std::pair<std::string, std::string>;

struct ModelClient {
    std::map<RecordKey, Version> held;       // what the client's engine knows
    std::set<RecordKey> written;             // changed by the application since the last capture
    std::map<RecordKey, Version> published;  // its copy on the share
};

Value column_value(const SQLite::Column& c) {
    if (c.isNull()) return Null{};
    if (c.isInteger()) return c.getInt64();
    if (c.isFloat()) return c.getDouble();
    if (c.isBlob()) {
        const auto* p = static_cast<const std::uint8_t*>(c.getBlob());
        return Blob(p, p + c.getBytes());
    }
    return c.getString();
}

class RandomFleet {
public:
    RandomFleet(std::uint64_t seed, int ops, bool faults, ExchangeLayout exchange)
        : rng_(seed), ops_(ops), faults_(faults), fleet_(make_ids(rng_), schema, options(faults, exchange, rng_)) {
        for (const auto& id : fleet_.ids()) model_[id];
    }

    // Runs the random phase and quiescence; returns what went wrong ("" when nothing).
    std::string run() {
        for (int i = 0; i < ops_; ++i) step();
        if (faults_)
            for (const auto& id : fleet_.ids()) stop_faults(id);
        for (int round = 0; round < 3; ++round)
            for (const auto& id : fleet_.ids()) sync(id, false);
        return check();
    }

private:
    static std::vector<std::string> make_ids(std::mt19937_64& rng) {
        const int n = 2 + static_cast<int>(rng() % 4);
        std::vector<std::string> ids;
        for (int i = 0; i < n; ++i) ids.push_back(std::string(1, static_cast<char>('A' + i)));
        return ids;
    }
    static ClientOptions options(bool faults, ExchangeLayout exchange, std::mt19937_64& rng) {
        ClientOptions o;
        o.inject_faults = faults;
        o.exchange = exchange;
        o.journal.base_every = 3;  // bases and segment removal happen within a run
        // Change-log rows aged past the retention (age_changelog) are pruned
        // at the next sync, so peers meet logs that no longer reach back to
        // what they read. Without the heartbeat a pruned log can be empty.
        o.retention = std::chrono::hours(1);
        o.heartbeat = rng() % 2 == 0;
        return o;
    }
    std::uint64_t pick(std::uint64_t n) { return rng_() % n; }
    const std::string& any_client() { return fleet_.ids()[pick(fleet_.ids().size())]; }

    // Application time: often equal to the last one, sometimes far ahead of the clock.
    std::int64_t next_time() {
        if (pick(20) == 0) return 4070908800000 + static_cast<std::int64_t>(pick(1000));  // 2099
        if (pick(3) != 0) clock_ms_ += 1 + static_cast<std::int64_t>(pick(2000));
        return clock_ms_;
    }

    bool exists(const std::string& id, const std::string& table, const std::string& key) {
        SQLite::Database db(fleet_.database(id).string(), SQLite::OPEN_READONLY);
        SQLite::Statement s(db, "SELECT 1 FROM " + table + " WHERE id = ?");
        s.bind(1, key);
        return s.executeStep();
    }

    // One application statement; constraint failures are the application's to handle.
    void app(const std::string& id, const std::string& sql, const std::string& table, const std::string& key) {
        try {
            fleet_.write(id, sql);
            model_[id].written.insert({table, key});
        } catch (const SQLite::Exception&) {
        }
    }

    // Makes a client's change-log rows older than the retention, all of them
    // or those up to a random id, as if that much time had passed.
    void age_changelog(const std::string& id) {
        const std::string up_to = pick(2) == 0 ? "" : fmt::format(" WHERE id <= (SELECT MAX(id) FROM _changelog) - {}", pick(4));
        try {
            fleet_.write(id, "UPDATE _changelog SET changedAt = datetime('now', '-2 hours')" + up_to);
        } catch (const SQLite::Exception&) {
            // no change log yet: the client has not synced
        }
    }

    void step() {
        const std::string& id = any_client();
        if (pick(12) == 0) return age_changelog(id);
        const auto action = pick(10);
        if (action < 3) return sync(id, faults_);
        const char* tables[] = {"notes", "events", "items", "parent", "child"};
        const std::string table = tables[pick(5)];
        const std::string key = table.substr(0, 1) + std::to_string(pick(5));
        const bool present = exists(id, table, key);
        if (action < 5 && present) return app(id, fmt::format("DELETE FROM {} WHERE id = '{}'", table, key), table, key);
        const std::int64_t t = next_time();
        const std::string iso = "'" + format_timestamp_ms(t) + "'";
        std::string values, assignments;
        if (table == "notes") {
            const std::string body = fmt::format("'body {}'", pick(4));
            values = fmt::format("'{}', {}, {}", key, body, iso);
            assignments = fmt::format("body = {}, updatedAt = {}", body, iso);
        } else if (table == "events") {
            const auto v = pick(100);
            values = fmt::format("'{}', {}, {}", key, v, t);
            assignments = fmt::format("v = {}, updatedAt = {}", v, t);
        } else if (table == "items") {
            const std::string code = fmt::format("'c{}'", pick(3));  // few codes: UNIQUE collisions
            values = fmt::format("'{}', {}, {}", key, code, iso);
            assignments = fmt::format("code = {}, updatedAt = {}", code, iso);
        } else if (table == "parent") {
            values = fmt::format("'{}', 'p{}', {}", key, pick(9), iso);
            assignments = fmt::format("name = 'p{}', updatedAt = {}", pick(9), iso);
        } else {
            const std::string parent = fmt::format("'p{}'", pick(5));
            values = fmt::format("'{}', {}, {}", key, parent, iso);
            assignments = fmt::format("parentId = {}, updatedAt = {}", parent, iso);
        }
        app(id,
            present ? fmt::format("UPDATE {} SET {} WHERE id = '{}'", table, assignments, key)
                    : fmt::format("INSERT INTO {} VALUES ({})", table, values),
            table, key);
    }

    void inject_fault(const std::string& id) {
        auto& f = fleet_.faults(id);
        switch (pick(6)) {
            case 0: f.fail_call(1 + static_cast<int>(pick(4))); break;
            case 1: f.truncate_puts(true); break;
            case 2: f.hide("client-" + any_client() + ".sqlite", 1); break;
            case 3: f.stale_listings(true); break;
            default: break;  // no fault this time
        }
    }
    void stop_faults(const std::string& id) {
        auto& f = fleet_.faults(id);
        f.fail_call(0);
        f.truncate_puts(false);
        f.stale_listings(false);
    }

    // One sync, mirrored in the model (without faults: with faults the model
    // cannot know which parts of a sync happened, and only convergence and
    // integrity are checked).
    void sync(const std::string& id, bool with_faults) {
        if (with_faults) {
            inject_fault(id);
            try {
                fleet_.sync(id);
            } catch (const Error&) {
                // a failing share: reported as an error, retried next round
            }
            stop_faults(id);
            return;
        }
        capture(id);
        fleet_.sync(id);
        auto& me = model_[id];
        for (const auto& [peer, m] : model_) {
            if (peer == id) continue;
            for (const auto& [key, version] : m.published) {
                auto it = me.held.find(key);
                if (it == me.held.end() || version > it->second) me.held[key] = version;
            }
        }
        me.published = me.held;
    }

    // The version rule (docs/architecture.md) for a state the application wrote: its time, raised
    // above the state it replaced; deletions at their tombstone's time.
    void capture(const std::string& id) {
        auto& me = model_[id];
        SQLite::Database db(fleet_.database(id).string(), SQLite::OPEN_READONLY);
        for (const auto& key : me.written) {
            if (std::find(modelled_tables.begin(), modelled_tables.end(), key.first) == modelled_tables.end()) continue;
            const auto previous = me.held.find(key);
            const bool had = previous != me.held.end();
            SQLite::Statement row(db, "SELECT * FROM " + key.first + " WHERE id = ?");
            row.bind(1, key.second);
            if (row.executeStep()) {
                RowImage image;
                for (int i = 0; i < row.getColumnCount(); ++i) {
                    image.columns.push_back(row.getColumnName(i));
                    image.values.push_back(column_value(row.getColumn(i)));
                }
                const auto hash = content_hash(image);
                std::int64_t time = timestamp_ms(*image.find("updatedAt"));
                if (had && !previous->second.deletion && previous->second.content_hash == hash) continue;
                if (had) time = std::max(time, previous->second.time_ms + 1);
                me.held[key] = {time, false, hash};
            } else {
                if (!db.tableExists("_tombstone")) continue;  // deleted before sync was set up: no trace
                SQLite::Statement tomb(db, "SELECT deletedAt FROM _tombstone WHERE tableName = ? AND recordId = ?");
                tomb.bind(1, key.first);
                tomb.bind(2, key.second);
                if (!tomb.executeStep()) continue;  // never reached the database
                std::int64_t time = deletion_time_ms(tomb.getColumn(0).getString());
                if (had) time = previous->second.deletion ? std::max(time, previous->second.time_ms)
                                                          : std::max(time, previous->second.time_ms + 1);
                me.held[key] = {time, true, 0};
            }
        }
        me.written.clear();
    }

    std::string check() {
        std::ostringstream problems;
        const auto first = fleet_.dump(fleet_.ids()[0]);
        for (const auto& id : fleet_.ids()) {
            const auto mine = fleet_.dump(id);
            for (const auto& [table, rows] : first.items())
                if (mine[table] != rows)
                    problems << "client " << id << " differs from client " << fleet_.ids()[0] << " in " << table
                             << ": " << mine[table].dump() << " vs " << rows.dump() << "\n";
            SQLite::Database db(fleet_.database(id).string(), SQLite::OPEN_READONLY);
            const std::string integrity = db.execAndGet("PRAGMA integrity_check").getString();
            if (integrity != "ok") problems << "client " << id << ": integrity_check says " << integrity << "\n";
        }
        if (faults_) return problems.str();
        const auto& expected = model_.at(fleet_.ids()[0]).held;
        for (const auto& id : fleet_.ids()) {
            if (model_.at(id).held != expected) problems << "the model itself did not converge on " << id << "\n";
            SQLite::Database db(fleet_.database(id).string(), SQLite::OPEN_READONLY);
            for (const auto& table : modelled_tables) {
                SQLite::Statement rows(db, "SELECT * FROM " + table);
                std::set<std::string> seen;
                std::uint64_t digest = 0;  // what `verify` compares: the XOR of the rows' content hashes
                while (rows.executeStep()) {
                    RowImage image;
                    for (int i = 0; i < rows.getColumnCount(); ++i) {
                        image.columns.push_back(rows.getColumnName(i));
                        image.values.push_back(column_value(rows.getColumn(i)));
                    }
                    digest ^= content_hash(image);
                    const std::string key = rows.getColumn(0).getString();
                    seen.insert(key);
                    auto it = expected.find({table, key});
                    if (it == expected.end() || it->second.deletion || it->second.content_hash != content_hash(image))
                        problems << id << ": " << table << "/" << key << " is not the state of its highest version\n";
                }
                for (const auto& [k, v] : expected)
                    if (k.first == table && !v.deletion && !seen.count(k.second))
                        problems << id << ": " << table << "/" << k.second << " is missing; its highest version is a row\n";
                SQLite::Statement kept(db, "SELECT rows, digest FROM _nas_sync_digest WHERE tableName = ?");
                kept.bind(1, table);
                if (!kept.executeStep() || kept.getColumn(0).getInt64() != static_cast<std::int64_t>(seen.size()) ||
                    static_cast<std::uint64_t>(kept.getColumn(1).getInt64()) != digest)
                    problems << id << ": the digest of " << table << " is not that of its rows\n";
            }
        }
        return problems.str();
    }

    std::mt19937_64 rng_;
    int ops_;
    bool faults_;
    Fleet fleet_;
    std::map<std::string, ModelClient> model_;
    std::int64_t clock_ms_ = 1767225600000;  // 2026-01-01
};

void run_seeds(bool faults, const char* test_name, ExchangeLayout exchange = ExchangeLayout::snapshot) {
    const auto& o = property_options;
    int failed = 0;
    for (int seed = o.first_seed; seed < o.first_seed + o.seeds; ++seed) {
        const std::string problems = RandomFleet(static_cast<std::uint64_t>(seed), o.ops, faults, exchange).run();
        if (problems.empty()) continue;
        ++failed;
        const std::string report = fmt::format("seed {} failed:\n{}replay: {} --first-seed {} --seeds 1 --ops {} -tc=\"{}\"",
                                               seed, problems, o.program, seed, o.ops, test_name);
        FAIL_CHECK(report);
        if (failed >= 3) break;
    }
    MESSAGE(o.seeds << " seeds from " << o.first_seed << ", " << o.ops << " operations each, " << failed << " failed");
    CHECK(failed == 0);
}

}  // namespace

TEST_CASE("randomized fleets converge to the highest version of every record") {
    run_seeds(false, "randomized fleets converge to the highest version of every record");
}

TEST_CASE("randomized fleets with a faulty share converge once the faults stop") {
    run_seeds(true, "randomized fleets with a faulty share converge once the faults stop");
}

TEST_CASE("journal: randomized fleets converge to the highest version of every record") {
    run_seeds(false, "journal: randomized fleets converge to the highest version of every record", ExchangeLayout::journal);
}

TEST_CASE("journal: randomized fleets with a faulty share converge once the faults stop") {
    run_seeds(true, "journal: randomized fleets with a faulty share converge once the faults stop", ExchangeLayout::journal);
}
