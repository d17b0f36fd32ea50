// A database file a peer published (its snapshot, a journal segment or a
// journal base), copied to a private temp file and opened so that nothing in
// it can run in our process: read-only and immutable, with
// triggers, views, extension loading and untrusted schema functions off, and
// an authorizer that allows only reads.
//
// Checked cheaply but soundly: the SQLite header (magic, page size, page count
// matching the file size, so a torn or truncated copy is refused) and the
// schema of every table we read. Any read error later (a corrupt page) throws
// Error(corrupt), which aborts that peer's round before anything is committed.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "database/statement.hpp"
#include "engine/tables/synced_table.hpp"
#include "engine/versions/versions.hpp"

namespace nas_sync {

// What is wrong with a database file whose first 100 bytes (or fewer, when
// it is shorter) are `header` and whose size is `size`: not SQLite, a page
// size it cannot have, or a size that is not the header's page count (torn,
// truncated, or a sparse file passed off as a database). Nothing when sound.
std::optional<std::string> sqlite_header_problem(std::string_view header, std::uint64_t size);

class PeerDatabase {
public:
    // Error(corrupt) when the file is not a sound SQLite database. May rewrite
    // the header's journal-mode bytes of this private copy. `cache_kib`: the
    // most its page cache holds (many copies open at once take less each).
    explicit PeerDatabase(const std::filesystem::path& file, int cache_kib = 16384);
    ~PeerDatabase();
    PeerDatabase(const PeerDatabase&) = delete;
    PeerDatabase& operator=(const PeerDatabase&) = delete;

    std::string schema_version() const;  // "" when the peer has none

    struct ChangelogRange {
        std::int64_t count = 0;
        std::int64_t min_id = 0;
        std::int64_t max_id = 0;
        // The highest id the log ever used (its AUTOINCREMENT sequence, or
        // max_id when that is higher or missing): what the peer had logged
        // by this copy, rows pruned since included.
        std::int64_t last_id = 0;
    };
    ChangelogRange changelog_range() const;
    // (table, key) of every change after `after_id`.
    std::vector<std::pair<std::string, std::string>> changed_keys(std::int64_t after_id) const;

    // Whether the peer has the table (an ordinary table) and our key column.
    bool has_table(const TableInfo& table) const;
    // The record's state, and its lineage when `lineage` is given.
    RecordState state(const TableInfo& table, const std::string& key, Lineage* lineage = nullptr) const;
    // Every row of a table, and every deletion (tombstones of rows it no
    // longer has). The visitor may take the key and state (swap them for
    // others, see ReadAhead::Sink::take): the next row is read into what it
    // leaves, reusing that memory.
    using Visitor = std::function<void(std::string& key, RecordState& state, const Lineage& lineage)>;
    void for_each_row(const TableInfo& table, const Visitor& visit) const;
    void for_each_deletion(const TableInfo& table, const Visitor& visit) const;
    // How many rows and deletions of `tables` it holds (what a whole merge
    // reads): for progress reports.
    std::int64_t record_count(const std::vector<TableInfo>& tables) const;
    // Rows left out by for_each_row because their key is not text (NULL, an
    // integer, a blob: a peer whose table has another key), and keys its
    // change log or tombstones name that are not keys we make
    // (record_key.hpp), per table.
    const std::map<std::string, std::int64_t>& skipped_keys() const { return skipped_keys_; }
    // The key of every row and every tombstone of a table, without their states.
    void for_each_key(const TableInfo& table, const std::function<void(std::string)>& visit) const;

private:
    bool canonical_key(const TableInfo& table, const std::string& key) const;
    std::optional<StoredVersion> stored_version(const std::string& table, const std::string& key) const;
    std::optional<std::string> tombstone(const std::string& table, const std::string& key) const;
    std::string select_columns(const TableInfo& table) const;  // t."a", t."b", ... of shared_columns()
    // `and_select`: one more expression after the row's columns and version.
    std::string rows_sql(const TableInfo& table, const std::string& and_select = "") const;
    void read_row_state(const Statement& s, const TableInfo& table, RecordState& into, Lineage& lineage) const;
    // The version columns a statement of rows_sql reads after the row's: none,
    // time, deleted and hash, or those and origin and base.
    int version_columns() const { return !keeps_versions_ ? 0 : keeps_lineage_ ? 5 : 3; }
    // Our columns of `table` that the peer's copy has too, in our order.
    const std::vector<std::string>& shared_columns(const TableInfo& table) const;

    sqlite3* db_ = nullptr;
    mutable StatementCache cache_{nullptr};  // per-record lookups
    std::set<std::string> tables_;  // ordinary tables in the file
    bool keeps_versions_ = false;   // it has _nas_sync_versions (the original's clients keep none)
    bool keeps_lineage_ = false;    // and its origin and base columns (written before they were: none)
    std::map<std::string, std::vector<std::string>> columns_;  // every table's columns
    mutable std::map<std::string, std::vector<std::string>> shared_columns_;
    mutable std::map<std::string, std::string> state_sql_;  // per table, see state()
    mutable std::map<std::string, std::int64_t> skipped_keys_;  // see skipped_keys()
};

}  // namespace nas_sync
