#include "engine/versions/versions.hpp"

#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <new>
#include <fmt/format.h>
#include <numeric>

namespace nas_sync {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::int64_t epoch_number_ms(long double v) {
    // Below 1e11 a number is seconds (1e11 s is the year 5138); above, milliseconds.
    const long double ms = (v > -1e11L && v < 1e11L) ? v * 1000.0L : v;
    if (ms > 9.2e18L || ms < -9.2e18L) return unknown_time;
    return static_cast<std::int64_t>(ms);
}

struct Cursor {
    const std::string& s;
    std::size_t i = 0;
    bool digits(std::size_t n, int& out) {
        if (i + n > s.size()) return false;
        out = 0;
        for (std::size_t k = 0; k < n; ++k) {
            const char c = s[i + k];
            if (c < '0' || c > '9') return false;
            out = out * 10 + (c - '0');
        }
        i += n;
        return true;
    }
    bool eat(char c) {
        if (i < s.size() && s[i] == c) {
            ++i;
            return true;
        }
        return false;
    }
    bool done() const { return i == s.size(); }
};

// ISO-8601 and SQLite forms: YYYY-MM-DD[(T| )HH:MM[:SS[.fff...]]][Z|(+|-)HH[:MM]]
std::optional<std::int64_t> parse_iso(const std::string& text, bool* has_fraction) {
    Cursor c{text};
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!c.digits(4, year) || !c.eat('-') || !c.digits(2, month) || !c.eat('-') || !c.digits(2, day)) return {};
    if (month < 1 || month > 12 || day < 1 || day > 31) return {};
    std::int64_t fraction_ms = 0;
    if (!c.done() && (c.eat('T') || c.eat('t') || c.eat(' '))) {
        if (!c.digits(2, hour) || !c.eat(':') || !c.digits(2, minute)) return {};
        if (c.eat(':')) {
            if (!c.digits(2, second)) return {};
            if (c.eat('.') || c.eat(',')) {
                int scale = 100, digit = 0, count = 0;
                while (c.digits(1, digit)) {
                    fraction_ms += digit * scale;
                    scale /= 10;
                    ++count;
                }
                if (count == 0) return {};
                if (has_fraction) *has_fraction = true;
            }
        }
    }
    if (hour > 24 || minute > 59 || second > 60) return {};
    std::int64_t offset_minutes = 0;
    if (c.eat('Z') || c.eat('z')) {
    } else if (!c.done() && (text[c.i] == '+' || text[c.i] == '-')) {
        const int sign = text[c.i] == '-' ? -1 : 1;
        ++c.i;
        int oh = 0, om = 0;
        if (!c.digits(2, oh)) return {};
        if (c.eat(':')) {
            if (!c.digits(2, om)) return {};
        } else {
            c.digits(2, om);
        }
        offset_minutes = sign * (oh * 60 + om);
    }
    if (!c.done()) return {};
    const std::int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    const std::int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    return seconds * 1000 + fraction_ms;
}

std::int64_t text_timestamp_ms(const std::string& raw, bool* has_fraction) {
    const auto first = raw.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return unknown_time;
    const std::string text = raw.substr(first, raw.find_last_not_of(" \t\r\n") - first + 1);
    const bool numeric = std::all_of(text.begin() + (text[0] == '-' ? 1 : 0), text.end(),
                                     [](char ch) { return (ch >= '0' && ch <= '9') || ch == '.'; }) &&
                         text != "-" && text.find_first_of("0123456789") != std::string::npos;
    if (numeric) {
        try {
            if (has_fraction) *has_fraction = true;
            return epoch_number_ms(std::stold(text));
        } catch (const std::exception&) {
            return unknown_time;
        }
    }
    return parse_iso(text, has_fraction).value_or(unknown_time);
}

}  // namespace

std::int64_t timestamp_ms(const Value& value) {
    if (const auto* i = std::get_if<std::int64_t>(&value)) return epoch_number_ms(static_cast<long double>(*i));
    if (const auto* d = std::get_if<double>(&value)) return epoch_number_ms(static_cast<long double>(*d));
    if (const auto* s = std::get_if<std::string>(&value)) return text_timestamp_ms(*s, nullptr);
    return unknown_time;
}

std::int64_t deletion_time_ms(const std::string& deleted_at) {
    bool has_fraction = false;
    const std::int64_t t = text_timestamp_ms(deleted_at, &has_fraction);
    if (t == unknown_time) return unknown_time;
    return has_fraction ? t : t + 999;
}

std::string format_timestamp_ms(std::int64_t ms) {
    // Times outside 0001..9999 (unknown_time is INT64_MIN) are shown at the
    // bound: the arithmetic below would overflow on them.
    ms = std::clamp(ms, min_version_time, max_version_time);
    const std::int64_t days = (ms >= 0 ? ms : ms - 86399999) / 86400000;
    const std::int64_t in_day = ms - days * 86400000;
    // civil_from_days
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", y, m, d, in_day / 3600000, in_day / 60000 % 60,
                       in_day / 1000 % 60, in_day % 1000);
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t to_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

namespace {

// XXH3-64 of a stream of bytes appended in pieces. Small pieces are gathered
// in a buffer and a row that fits in it is hashed in one call, as fast as
// before; a large value goes to XXH3's streaming state as it is, so a row of
// 100 MB is not copied once more to be hashed. The streaming state gives the
// same hash as one call over the same bytes, so every client agrees whichever
// way a row was hashed.
class RowHasher {
public:
    RowHasher() { buffer().clear(); }
    void append(const void* data, std::size_t size) {
        if (size >= direct_bytes) {
            flush();
            XXH3_64bits_update(state(), data, size);
            return;
        }
        buffer().append(static_cast<const char*>(data), size);
        if (buffer().size() >= direct_bytes) flush();
    }
    std::uint64_t digest() {
        if (!streaming_) return XXH3_64bits(buffer().data(), buffer().size());
        flush();
        return XXH3_64bits_digest(state());
    }

private:
    static constexpr std::size_t direct_bytes = 64 * 1024;
    // Reused: this runs once per record of a merge. It never grows past
    // direct_bytes and a bit, so the thread keeps no large buffer.
    static std::string& buffer() {
        thread_local std::string b;
        return b;
    }
    XXH3_state_t* state() {
        thread_local std::unique_ptr<XXH3_state_t, XXH_errorcode (*)(XXH3_state_t*)> s(XXH3_createState(), XXH3_freeState);
        if (!s) throw std::bad_alloc();
        if (!streaming_) {
            XXH3_64bits_reset(s.get());
            streaming_ = true;
        }
        return s.get();
    }
    void flush() {
        if (buffer().empty() && streaming_) return;
        XXH3_64bits_update(state(), buffer().data(), buffer().size());
        buffer().clear();
    }
    bool streaming_ = false;
};

}  // namespace

std::uint64_t content_hash(const RowImage& row) {
    thread_local std::vector<std::size_t> order;  // reused, as the hasher's buffer
    order.resize(row.columns.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return row.columns[a] < row.columns[b]; });
    RowHasher hash;
    auto put_size = [&](std::uint64_t n) { hash.append(&n, sizeof n); };
    for (std::size_t i : order) {
        put_size(row.columns[i].size());
        hash.append(row.columns[i].data(), row.columns[i].size());
        const Value& v = row.values[i];
        const char kind = static_cast<char>('0' + v.index());
        hash.append(&kind, 1);
        switch (v.index()) {
            case 1: {
                const auto n = std::get<std::int64_t>(v);
                hash.append(&n, sizeof n);
                break;
            }
            case 2: {
                const auto d = std::get<double>(v);
                hash.append(&d, sizeof d);
                break;
            }
            case 3: {
                const auto& text = std::get<std::string>(v);
                put_size(text.size());
                hash.append(text.data(), text.size());
                break;
            }
            case 4: {
                const auto& b = std::get<Blob>(v);
                put_size(b.size());
                hash.append(b.data(), b.size());
                break;
            }
            default: break;
        }
    }
    // XXH3-64: stable across xxHash versions since 0.8.0, so every client agrees.
    return hash.digest();
}

std::size_t heap_bytes(const RecordState& state) {
    if (!state.row) return 0;
    const RowImage& row = *state.row;
    std::size_t bytes = row.columns.capacity() * sizeof(std::string) + row.values.capacity() * sizeof(Value);
    for (const auto& name : row.columns) bytes += name.capacity();
    for (const auto& value : row.values) {
        if (const auto* text = std::get_if<std::string>(&value)) bytes += text->capacity();
        if (const auto* blob = std::get_if<Blob>(&value)) bytes += blob->capacity();
    }
    return bytes;
}

std::int64_t clamp_version_time(std::int64_t time) {
    if (time == unknown_time) return time;
    return std::clamp(time, min_version_time, max_version_time);
}

std::int64_t later_than(std::int64_t time) {
    return time >= max_version_time ? max_version_time : clamp_version_time(time) + 1;
}

std::uint64_t origin_digest(const std::string& client_id) {
    const std::uint64_t digest = XXH3_64bits(client_id.data(), client_id.size());
    return digest == 0 ? 1 : digest;
}

std::uint64_t version_fingerprint(const Version& v) {
    unsigned char bytes[17];
    for (int i = 0; i < 8; ++i) {  // little-endian whatever the host
        bytes[i] = static_cast<unsigned char>(static_cast<std::uint64_t>(v.time_ms) >> (8 * i));
        bytes[9 + i] = static_cast<unsigned char>(v.content_hash >> (8 * i));
    }
    bytes[8] = v.deletion ? 1 : 0;
    const std::uint64_t fingerprint = XXH3_64bits(bytes, sizeof bytes);
    return fingerprint == 0 ? 1 : fingerprint;
}

namespace {
// The version a stored entry gives a state that is still the one it recorded.
Version recorded_version(const StoredVersion& stored) {
    return {clamp_version_time(stored.time_ms), stored.deleted, stored.deleted ? 0 : stored.content_hash};
}
}  // namespace

Lineage lineage_of(const RecordState& state, const std::optional<StoredVersion>& stored) {
    if (!stored || state.kind == RecordState::Kind::absent || state.version != recorded_version(*stored)) return {};
    return stored->lineage;
}

Lineage change_lineage(const std::optional<StoredVersion>& replaced, std::uint64_t origin) {
    if (!replaced) return {origin, 0};
    // Our own earlier change carries what it was made on; another's state is it.
    return {origin, replaced->lineage.origin == origin ? replaced->lineage.base
                                                       : version_fingerprint(recorded_version(*replaced))};
}

Lineage captured_lineage(const RecordState& state, const std::optional<StoredVersion>& stored, std::uint64_t origin) {
    if (stored && state.version == recorded_version(*stored)) return stored->lineage;
    return change_lineage(stored, origin);
}

bool concurrent_edits(const RecordState& local, const Lineage& local_lineage, const RecordState& remote,
                      const Lineage& remote_lineage, std::uint64_t origin) {
    if (local.kind == RecordState::Kind::absent || local_lineage.origin != origin || remote_lineage.origin == origin)
        return false;
    return remote_lineage.base != version_fingerprint(local.version) &&
           local_lineage.base != version_fingerprint(remote.version);
}

RecordState recorded_row_state(const StoredVersion& stored) {
    RecordState state;
    state.kind = RecordState::Kind::row;
    state.version = {clamp_version_time(stored.time_ms), false, stored.content_hash};
    return state;
}

RecordState derive_state(std::optional<RowImage> row, const std::string& timestamp_column,
                         const std::optional<std::string>& tombstone, const std::optional<StoredVersion>& stored,
                         std::int64_t unstamped_time) {
    RecordState state;
    if (row) {
        const std::uint64_t hash = content_hash(*row);
        if (stored && !stored->deleted && stored->content_hash == hash) {  // the state we recorded
            state = recorded_row_state(*stored);
            state.row = std::move(row);
            return state;
        }
        const Value* ts = timestamp_column.empty() ? nullptr : row->find(timestamp_column);
        std::int64_t time = ts                         ? clamp_version_time(timestamp_ms(*ts))
                            : timestamp_column.empty() ? clamp_version_time(unstamped_time)
                                                       : unknown_time;
        if (stored && stored->time_ms != unknown_time)
            time = std::max(time, later_than(stored->time_ms));  // changed since: newer than what it replaced
        state.kind = RecordState::Kind::row;
        state.version = {time, false, hash};
        state.row = std::move(row);
        return state;
    }
    const std::int64_t tomb = tombstone ? clamp_version_time(deletion_time_ms(*tombstone)) : unknown_time;
    if (stored && stored->deleted) {
        state.kind = RecordState::Kind::deletion;
        state.version = {std::max(clamp_version_time(stored->time_ms), tomb), true, 0};
    } else if (tombstone) {
        std::int64_t time = tomb;
        if (stored && stored->time_ms != unknown_time) time = std::max(time, later_than(stored->time_ms));
        state.kind = RecordState::Kind::deletion;
        state.version = {time, true, 0};
    }
    return state;
}

}  // namespace nas_sync

namespace nas_sync {

std::optional<StoredVersion> read_stored_version(StatementCache& statements, const std::string& table,
                                                 const std::string& key, bool with_lineage) {
    auto s = statements.use(with_lineage ? "SELECT time, deleted, hash, origin, base FROM _nas_sync_versions "
                                           "WHERE tableName = ? AND recordId = ?"
                                         : "SELECT time, deleted, hash FROM _nas_sync_versions "
                                           "WHERE tableName = ? AND recordId = ?");
    s->bind(1, table).bind(2, key);
    if (!s->step()) return std::nullopt;
    return stored_version_at(*s, 0, with_lineage);
}

std::optional<StoredVersion> stored_version_at(const Statement& s, int first, bool with_lineage) {
    if (s.is_null(first)) return std::nullopt;
    StoredVersion stored{s.integer(first), s.integer(first + 1) != 0, static_cast<std::uint64_t>(s.integer(first + 2)), {}};
    if (with_lineage)
        stored.lineage = {static_cast<std::uint64_t>(s.integer(first + 3)), static_cast<std::uint64_t>(s.integer(first + 4))};
    return stored;
}

std::optional<std::string> read_tombstone(StatementCache& statements, const std::string& table, const std::string& key) {
    auto s = statements.use("SELECT deletedAt FROM _tombstone WHERE tableName = ? AND recordId = ?");
    s->bind(1, table).bind(2, key);
    if (!s->step()) return std::nullopt;
    return s->text(0);
}

}  // namespace nas_sync
