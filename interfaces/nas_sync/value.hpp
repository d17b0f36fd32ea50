// nas_sync/value.hpp: the values a resolver sees.
//
// A record is one row of a synced table, named by its table and primary key.
// Its state is a row image (column values), a deletion, or absent (never
// seen). Every state has a Version; the engine computes versions the same way
// on every client, so comparing two versions gives the same answer everywhere.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace nas_sync {

struct Null {
    friend bool operator==(Null, Null) = default;
};
using Blob = std::vector<std::uint8_t>;

// One SQLite value: NULL, INTEGER, REAL, TEXT or BLOB, in that index order.
using Value = std::variant<Null, std::int64_t, double, std::string, Blob>;

// The version of a record state. Higher wins. time_ms is the state's time in
// milliseconds since the Unix epoch (the timestamp column, or the deletion
// time, raised when needed so that a state always outranks the state it
// replaced on the client that made it). At equal times a deletion outranks a
// row, and between rows the content hash decides, so equal timestamps with
// different content still settle the same way everywhere.
struct Version {
    std::int64_t time_ms = INT64_MIN;
    bool deletion = false;
    std::uint64_t content_hash = 0;

    friend auto operator<=>(const Version&, const Version&) = default;
};

// A full row image: column names and values in the table's column order.
struct RowImage {
    std::vector<std::string> columns;
    std::vector<Value> values;

    // The value of a column, or nullptr when the row has no such column.
    const Value* find(const std::string& column) const {
        for (std::size_t i = 0; i < columns.size(); ++i)
            if (columns[i] == column) return &values[i];
        return nullptr;
    }
    Value* find(const std::string& column) {
        return const_cast<Value*>(static_cast<const RowImage&>(*this).find(column));
    }
};

struct RecordState {
    enum class Kind { absent, row, deletion };
    Kind kind = Kind::absent;
    Version version;
    std::optional<RowImage> row;  // set when kind == row
};

}  // namespace nas_sync
