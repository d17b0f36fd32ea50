// A thin RAII layer over SQLite's C API for the engine's hot paths: prepared
// statements that bind and read nas_sync::Value directly, on our own
// connection or on a peer's read-only snapshot.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "nas_sync/value.hpp"

namespace nas_sync {

// Throws Error(io), or Error(corrupt) for SQLITE_CORRUPT / SQLITE_NOTADB,
// with SQLite's message and what we were doing.
[[noreturn]] void throw_sqlite_error(sqlite3* db, int rc, const std::string& context);

void exec(sqlite3* db, const std::string& sql);

class Statement {
public:
    Statement(sqlite3* db, const std::string& sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement(Statement&& other) noexcept;

    Statement& bind(int index, const Value& value);
    // Without a copy: the value must stay alive and unchanged until reset().
    Statement& bind_borrowed(int index, const Value& value);
    Statement& bind(int index, const std::string& text);
    Statement& bind(int index, std::int64_t number);
    // True while there is a row; false when done. Throws on error.
    bool step();
    // step() until done, then reset(); for statements that return nothing.
    void run();
    void reset();

    int column_count() const;
    Value value(int column) const;
    std::string text(int column) const;  // "" for NULL
    // As value() and text(), into a value or string that may already hold
    // one: its memory is reused (rows read in a loop allocate nothing once
    // warm).
    void read_value(int column, Value& into) const;
    void read_text(int column, std::string& into) const;
    std::int64_t integer(int column) const;
    bool is_null(int column) const;
    bool is_text(int column) const;

private:
    Statement& bind_value(int index, const Value& value, sqlite3_destructor_type lifetime);
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
    std::string sql_;
};

// Prepared statements kept for the life of a connection, one per SQL text,
// for the queries the engine runs once per record. use() lends one out; the
// lease resets it when it goes out of scope, so no read stays open.
class StatementCache {
public:
    explicit StatementCache(sqlite3* db) : db_(db) {}

    class Lease {
    public:
        explicit Lease(Statement& s) : s_(&s) {}
        ~Lease() { s_->reset(); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Statement* operator->() const { return s_; }
        Statement& operator*() const { return *s_; }

    private:
        Statement* s_;
    };

    Lease use(const std::string& sql);
    void clear() { cache_.clear(); }

private:
    sqlite3* db_;
    std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// Reads one integer (or a default when there is no row / it is NULL).
std::int64_t query_integer(sqlite3* db, const std::string& sql, std::int64_t fallback = 0);

}  // namespace nas_sync
