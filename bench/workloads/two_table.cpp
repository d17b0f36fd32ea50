#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <vector>

#include "workloads/workload.hpp"

namespace bench {

std::string uuid(std::mt19937_64& rng) {
    const auto a = rng(), b = rng();
    return fmt::format("{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff, b >> 52,
                       b & 0xffffffffffff);
}

std::string text(std::mt19937_64& rng, std::size_t n) {
    static const char letters[] = "abcdefghijklmnopqrstuvwxyz      ";
    std::string s(n, ' ');
    for (auto& c : s) c = letters[rng() % 32];
    return s;
}

std::string now_iso() {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count();
    const std::time_t secs = ms / 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

namespace {

// N rows, half per table; K updates of random rows' notes.
class TwoTable final : public Workload {
public:
    explicit TwoTable(std::size_t notes_bytes) : notes_bytes_(notes_bytes) {}

    const char* schema_sql() const override {
        return R"(
CREATE TABLE customers(id TEXT PRIMARY KEY, name TEXT, email TEXT, notes TEXT, updatedAt TEXT);
CREATE TABLE orders(id TEXT PRIMARY KEY, customer TEXT, item TEXT, notes TEXT, updatedAt TEXT);
CREATE TABLE _bench_writes(n INTEGER PRIMARY KEY, at TEXT);
)";
    }

    void fill(SQLite::Database& db, int rows) override {
        std::mt19937_64 rng(42);
        SQLite::Transaction tx(db);
        SQLite::Statement c(db, "INSERT INTO customers VALUES(?, ?, ?, ?, '2026-01-01T00:00:00.000Z')");
        SQLite::Statement o(db, "INSERT INTO orders VALUES(?, ?, ?, ?, '2026-01-01T00:00:00.000Z')");
        for (int i = 0; i < rows; ++i) {
            auto& s = i % 2 ? o : c;
            const std::string key = uuid(rng);
            keys_.push_back(key);
            s.bind(1, key);
            s.bind(2, text(rng, 40));
            s.bind(3, text(rng, 30));
            s.bind(4, text(rng, notes_bytes_));
            s.exec();
            s.reset();
        }
        tx.commit();
    }

    // In fill's order (even: customers, odd: orders).
    void load(SQLite::Database& db) override {
        SQLite::Statement c(db, "SELECT id FROM customers ORDER BY rowid");
        SQLite::Statement o(db, "SELECT id FROM orders ORDER BY rowid");
        while (c.executeStep()) {
            keys_.push_back(c.getColumn(0).getString());
            if (o.executeStep()) keys_.push_back(o.getColumn(0).getString());
        }
    }

    void change(SQLite::Database& db, int k, std::mt19937_64& rng) override {
        SQLite::Transaction tx(db);
        const std::string now = now_iso();
        SQLite::Statement customers(db, "UPDATE customers SET notes = ?, updatedAt = ? WHERE id = ?");
        SQLite::Statement orders(db, "UPDATE orders SET notes = ?, updatedAt = ? WHERE id = ?");
        for (int i = 0; i < k; ++i) {
            const std::size_t at = rng() % keys_.size();
            auto& update = at % 2 ? orders : customers;
            update.bind(1, text(rng, notes_bytes_));
            update.bind(2, now);
            update.bind(3, keys_[at]);
            update.exec();
            update.reset();
        }
        tx.commit();
    }

private:
    std::size_t notes_bytes_;
    std::vector<std::string> keys_;
};

}  // namespace

std::unique_ptr<Workload> make_prisma_workload();

std::unique_ptr<Workload> make_workload(const std::string& name, std::size_t notes_bytes) {
    if (name == "two-table") return std::make_unique<TwoTable>(notes_bytes);
    if (name == "prisma") return make_prisma_workload();
    return nullptr;
}

}  // namespace bench
