// What a bench fleet holds and how its application changes it: the schema,
// the N rows every client starts from, and K changed records per round.
#pragma once

#include <SQLiteCpp/Database.h>

#include <memory>
#include <random>
#include <string>

#include "nas_sync/pipeline.hpp"

namespace bench {

class Workload {
public:
    virtual ~Workload() = default;
    virtual const char* schema_sql() const = 0;
    // Fills a new template database with about `rows` records.
    virtual void fill(SQLite::Database& db, int rows) = 0;
    // Learns the keys of a template filled before (a fleet kept by --keep).
    virtual void load(SQLite::Database& db) = 0;
    // Changes `k` records as the application would, in one transaction.
    virtual void change(SQLite::Database& db, int k, std::mt19937_64& rng) = 0;
    // The discovery that syncs its tables.
    virtual nas_sync::PluginSection discovery() const { return {.plugin = "auto", .key = "discovery"}; }
};

// "two-table" (customers and orders, UUID keys, rows of ~130 bytes plus a
// `notes` value of `notes_bytes`) or "prisma" (the tables of a Prisma schema:
// models, a composite-id model without a timestamp, a many-to-many table);
// nullptr for another name.
std::unique_ptr<Workload> make_workload(const std::string& name, std::size_t notes_bytes = 120);

// Helpers the workloads share.
std::string uuid(std::mt19937_64& rng);
std::string text(std::mt19937_64& rng, std::size_t n);
std::string now_iso();

}  // namespace bench
