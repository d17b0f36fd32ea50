// Per synced table, the count of its live records and an order-free digest
// of them: the XOR of their recorded content hashes (which cover the key
// columns too). RecordStore reports every write of versions here, which
// changes the digest by the old and new hash of each record, so a digest
// costs what changed, not the table's size. Clients holding the same records
// have the same digests: what `nas-sync verify` compares across the fleet
// (engine/fleet/).
#pragma once

#include <sqlite3.h>

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "database/statement.hpp"

namespace nas_sync {

struct TableDigest {
    std::int64_t rows = 0;
    std::uint64_t digest = 0;
    auto operator<=>(const TableDigest&) const = default;
};

class TableDigests {
public:
    explicit TableDigests(sqlite3* db) : db_(db), cache_(db) {}

    // Inside a write transaction, once the table's versions before sync are
    // recorded: a table without a digest gets one, computed once from its
    // versions (a database synced before digests existed); the writes that
    // follow keep it.
    void ensure(const std::string& table);
    // The digest of each table that has one.
    std::map<std::string, TableDigest> read() const;

    // Around a statement that writes versions: each version it writes before
    // it runs (the record's current version is read then), and after it.
    // A statement that failed (SQLite undid it) calls forget_write() instead.
    // `table` and `key` must stay alive and unchanged until then.
    // `known_absent`: the caller knows no version of the key is recorded.
    void before_write(const std::string& table, const std::string& key, bool deleted, std::uint64_t hash,
                      bool known_absent = false);
    void after_write();
    void forget_write();
    // Before the transaction commits: the digests' changes, one update per
    // table (Connection::on_commit). When it rolls back: forgotten.
    void flush();
    void discard();

private:
    bool digested(const std::string& table);

    sqlite3* db_;
    mutable StatementCache cache_;
    std::optional<std::set<std::string>> digested_;  // tables with a digest, read once
    std::map<std::string, TableDigest> pending_;     // changes in this transaction, by table
    std::map<std::string, TableDigest> statement_;   // changes of the statement about to run
    // The version now, read once per version written (prepared once: this runs for every record applied).
    std::optional<Statement> current_;
    // Live hashes written earlier in the same statement (a key twice in one
    // group), by table and key: views of the caller's strings, so a record
    // costs no allocation here.
    struct KeyHash {
        std::size_t operator()(const std::pair<std::string_view, std::string_view>& k) const {
            return std::hash<std::string_view>{}(k.second) * 31 + std::hash<std::string_view>{}(k.first);
        }
    };
    std::unordered_map<std::pair<std::string_view, std::string_view>, std::optional<std::uint64_t>, KeyHash> written_;
};

}  // namespace nas_sync
