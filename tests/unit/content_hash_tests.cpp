// A record's content hash is XXH3-64 of its serialization (columns by name:
// name length, name, type, value), however large its values are: clients of
// every version must agree on it, whether a row was hashed in one call or in
// pieces (a value of 64 KiB or more is streamed, not copied).
#include <doctest/doctest.h>

#include <xxhash.h>

#include <algorithm>
#include <numeric>
#include <string>

#include "engine/versions/versions.hpp"

using namespace nas_sync;

namespace {

// The serialization, written out plainly, hashed in one call.
std::uint64_t hash_in_one_call(const RowImage& row) {
    std::vector<std::size_t> order(row.columns.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return row.columns[a] < row.columns[b]; });
    std::string bytes;
    auto put = [&](const void* p, std::size_t n) { bytes.append(static_cast<const char*>(p), n); };
    for (std::size_t i : order) {
        const std::uint64_t name_size = row.columns[i].size();
        put(&name_size, sizeof name_size);
        bytes += row.columns[i];
        const Value& v = row.values[i];
        bytes += static_cast<char>('0' + v.index());
        if (const auto* n = std::get_if<std::int64_t>(&v)) put(n, sizeof *n);
        if (const auto* d = std::get_if<double>(&v)) put(d, sizeof *d);
        if (const auto* t = std::get_if<std::string>(&v)) {
            const std::uint64_t size = t->size();
            put(&size, sizeof size);
            bytes += *t;
        }
        if (const auto* b = std::get_if<Blob>(&v)) {
            const std::uint64_t size = b->size();
            put(&size, sizeof size);
            put(b->data(), b->size());
        }
    }
    return XXH3_64bits(bytes.data(), bytes.size());
}

}  // namespace

TEST_CASE("content hash: XXH3-64 of the row's serialization, for small rows and rows of large values alike") {
    std::string text(70'000, 'a');
    for (std::size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + i % 26);
    Blob blob(3 << 20);
    for (std::size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<std::uint8_t>(i * 7);
    const std::vector<RowImage> rows = {
        {{"id", "name", "n"}, {std::string("u1"), std::string("Ann"), std::int64_t{42}}},
        {{"b", "a"}, {Null{}, 1.5}},
        {{"id", "body"}, {std::string("big"), text}},                       // one value past 64 KiB
        {{"id", "data", "note"}, {std::string("blob"), blob, std::string(65'535, 'x')}},  // streamed, then buffered
        {{"z", "y", "x"}, {std::string(64 * 1024, 'q'), std::string(10, 'r'), blob}},
    };
    for (const auto& row : rows) {
        CAPTURE(row.columns.size());
        CHECK(content_hash(row) == hash_in_one_call(row));
        CHECK(content_hash(row) == content_hash(row));  // nothing left over from the call before
    }
}
