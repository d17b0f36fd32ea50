#include "engine/share/share_guard.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <random>

#include "engine/share/hex_id.hpp"
#include "engine/versions/versions.hpp"
#include "nas_sync/error.hpp"
#include "nas_sync/pipeline.hpp"

namespace nas_sync {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Small JSON objects of other clients are read whole only up to this: a
// stranger's huge file is not ours to parse.
constexpr std::size_t max_json_bytes = 4096;

std::uint64_t random_id() {
    static thread_local std::mt19937_64 rng(std::random_device{}() ^ (static_cast<std::uint64_t>(::getpid()) << 32));
    std::uint64_t id = 0;
    while (id == 0) id = rng();  // 0 means "none" in the bookkeeping
    return id;
}

std::string where_share(Transport& transport) { return transport.describe(); }

void put_json(Transport& transport, const json& content, const fs::path& file, std::string_view name) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << content.dump() << "\n";
    transport.put(file, name);
    std::error_code ec;
    fs::remove(file, ec);
}

// A small JSON object from the share, or nothing when it is not one.
std::optional<json> read_json(Transport& transport, const std::string& name) {
    const std::string text = transport.read_first_bytes(name, max_json_bytes);
    const auto value = json::parse(text, nullptr, false);
    if (value.is_discarded() || !value.is_object()) return std::nullopt;
    return value;
}

std::string text_of(const json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string("?");
}

}  // namespace

std::string host_name() {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    return name;
}

std::string owner_object_name(const std::string& client_id, std::uint64_t token) {
    return fmt::format("client-{}.owner-{}.json", client_id, hex_id(token));
}

std::optional<std::pair<std::string, std::uint64_t>> parse_owner_object_name(const std::string& name) {
    // "client-<id>.owner-<16 hex digits>.json", for every name of every listing: by hand, not with std::regex.
    constexpr std::string_view head = "client-", middle = ".owner-", tail = ".json";
    constexpr std::size_t digits = 16;
    if (name.size() <= head.size() + middle.size() + digits + tail.size() || !name.starts_with(head) ||
        !name.ends_with(tail))
        return std::nullopt;
    const std::size_t hex_at = name.size() - tail.size() - digits;
    if (name.compare(hex_at - middle.size(), middle.size(), middle) != 0) return std::nullopt;
    const std::string id = name.substr(head.size(), hex_at - middle.size() - head.size());
    if (!is_valid_client_id(id)) return std::nullopt;
    const auto token = parse_hex_id(name.substr(hex_at, digits));
    if (!token || *token == 0) return std::nullopt;
    return std::pair{id, *token};
}

std::optional<ShareGuard::Marker> ShareGuard::read_marker(const WorkFolder&) {
    std::optional<json> content;
    try {
        content = read_json(transport_, share_marker_name);
    } catch (const Error& e) {
        if (e.code() == ErrorCode::not_found) return std::nullopt;
        throw;
    }
    const auto id = content ? parse_hex_id(text_of(*content, "share_id")) : std::nullopt;
    if (!id || *id == 0)
        throw Error(ErrorCode::corrupt,
                    fmt::format("the share marker '{}' on {} is not a nas-sync share marker (remove it, then run "
                                "`nas-sync adopt-share`)",
                                share_marker_name, where_share(transport_)));
    return Marker{*id, text_of(*content, "created"), text_of(*content, "created_by")};
}

// On a share we have never recorded: a marker that cannot be read (a put the
// share tore) names no share anyone recorded, but says a share is there.
std::optional<ShareGuard::Marker> ShareGuard::read_marker_or_damage(const WorkFolder& work, bool& damaged) {
    damaged = false;
    try {
        return read_marker(work);
    } catch (const Error& e) {
        if (e.code() != ErrorCode::corrupt) throw;
        damaged = true;
        return std::nullopt;
    }
}

std::uint64_t ShareGuard::write_marker(const WorkFolder& work) {
    const std::uint64_t id = random_id();
    put_json(transport_,
             {{"share_id", hex_id(id)}, {"created", format_timestamp_ms(now_ms())}, {"created_by", client_id_}},
             work.file("share.json"), share_marker_name);
    return id;
}

void ShareGuard::check(const std::vector<ObjectInfo>& client_objects, OwnObjects own, const WorkFolder& work) {
    claimed_token_ = 0;  // a new sync (an earlier one may have failed between claim and finish)
    auto& state = db_.bookkeeping();
    const auto recorded = static_cast<std::uint64_t>(state.get(StateKey::share_id));
    const bool verified = state.get(StateKey::share_verified) != 0;
    auto record = [&](std::uint64_t id, bool is_verified) {
        WriteTransaction tx(db_.connection());
        state.set(StateKey::share_id, static_cast<std::int64_t>(id));
        state.set(StateKey::share_verified, is_verified ? 1 : 0);
        tx.commit();
    };
    const std::string how_to_adopt =
        "Nothing was written to it. If the share is not mounted, mount it and sync again; if it was moved or "
        "replaced on purpose, run `nas-sync adopt-share` to sync with it from now on";
    if (recorded == 0) {
        // Our first sync with a share (or the first since markers exist).
        bool damaged = false;
        if (const auto found = read_marker_or_damage(work, damaged)) {
            record(found->share_id, true);
        } else if (own == OwnObjects::missing && !damaged) {
            throw Error(ErrorCode::refused,
                        fmt::format("{} has no nas-sync share marker ({}) and none of this client's objects, though "
                                    "client '{}' has published there before: it looks unmounted or replaced by an "
                                    "empty folder. {}",
                                    where_share(transport_), share_marker_name, client_id_, how_to_adopt));
        } else {
            write_marker(work);
            // Read back: of two first clients writing at once, the last one's marker stays.
            const auto written = read_marker_or_damage(work, damaged);
            record(written ? written->share_id : 0, false);
        }
    } else if (own != OwnObjects::intact || !verified) {
        const auto marker = read_marker(work);
        if (!marker)
            throw Error(ErrorCode::refused,
                        fmt::format("{} has no nas-sync share marker ({}), but client '{}' synced with a share there "
                                    "before: it looks unmounted or replaced. {}",
                                    where_share(transport_), share_marker_name, client_id_, how_to_adopt));
        if (marker->share_id != recorded && !(own == OwnObjects::intact && !verified))
            throw Error(ErrorCode::refused,
                        fmt::format("{} is another share than the one client '{}' synced with (its marker {} has share "
                                    "id {}, written {} by '{}'; ours is {}): it looks replaced. {}",
                                    where_share(transport_), client_id_, share_marker_name, hex_id(marker->share_id),
                                    marker->created, marker->created_by, hex_id(recorded), how_to_adopt));
        // Our own objects are there as we left them: a marker written after
        // ours by a client that started at the same time is this share's.
        record(marker->share_id, true);
    }
    check_owners(client_objects, work);
}

void ShareGuard::check_owners(const std::vector<ObjectInfo>& client_objects, const WorkFolder& work) {
    auto& state = db_.bookkeeping();
    const auto token_of = [&](StateKey key) { return static_cast<std::uint64_t>(state.get(key)); };
    const std::uint64_t current = token_of(StateKey::owner_token);
    // Claims of ours that a sync killed half-way may have left on the share.
    const std::vector<StateKey> leftovers = {StateKey::owner_token_pending, StateKey::owner_token_previous};
    std::vector<std::uint64_t> leftover_tokens;  // read once, not per name on the share
    for (const auto key : leftovers)
        if (const auto token = token_of(key)) leftover_tokens.push_back(token);
    std::vector<std::string> ours_to_remove;
    for (const auto& object : client_objects) {
        const auto owner = parse_owner_object_name(object.name);
        if (!owner) continue;
        const auto& [id, token] = *owner;
        const bool leftover = std::find(leftover_tokens.begin(), leftover_tokens.end(), token) != leftover_tokens.end();
        if (token == current && id == client_id_) {
            share_offset_ms_ = to_ms(object.modified) - state.get(StateKey::owner_put_ms);
        } else if (token == current || leftover) {
            ours_to_remove.push_back(object.name);  // left over, or ours under a former client id
        } else if (id == client_id_) {
            ensure_instance_id();
            throw Error(ErrorCode::refused,
                        fmt::format("client id '{}' is also used by another installation ({}); this one is "
                                    "installation {} on host '{}', database '{}'. Nothing was published: give one of "
                                    "them another client_id in its pipeline file and sync again (both keep their "
                                    "rows, and they reach everyone once renamed)",
                                    client_id_, describe_owner(object.name, work), hex_id(token_of(StateKey::instance_id)),
                                    host_name(), db_.file().string()));
        }
    }
    remove_claims(ours_to_remove);  // a failure here throws: nothing claimed yet, tried again next sync
    if (leftover_tokens.empty()) return;
    WriteTransaction tx(db_.connection());
    for (const auto key : leftovers) state.clear(key);
    tx.commit();
}

void ShareGuard::ensure_instance_id() {
    auto& state = db_.bookkeeping();
    if (state.get(StateKey::instance_id)) return;
    WriteTransaction tx(db_.connection());
    state.set(StateKey::instance_id, static_cast<std::int64_t>(random_id()));
    tx.commit();
}

void ShareGuard::remove_claims(const std::vector<std::string>& names) {
    for (const auto& name : names) {
        try {
            transport_.remove(name);
        } catch (const Error& e) {
            if (e.code() != ErrorCode::not_found) throw;
        }
    }
}

std::string ShareGuard::describe_owner(const std::string& object, const WorkFolder&) {
    try {
        if (const auto owner = read_json(transport_, object))
            return fmt::format("installation {} on host '{}', database '{}', claimed {}", text_of(*owner, "instance"),
                               text_of(*owner, "host"), text_of(*owner, "database"), text_of(*owner, "claimed"));
    } catch (const Error&) {
        // described by its name alone below
    }
    return "its claim '" + object + "' on the share";
}

void ShareGuard::claim(const WorkFolder& work) {
    if (claimed_token_ != 0) return;
    ensure_instance_id();
    auto& state = db_.bookkeeping();
    const std::uint64_t token = random_id();
    {
        WriteTransaction tx(db_.connection());
        state.set(StateKey::owner_token_pending, static_cast<std::int64_t>(token));
        tx.commit();
    }
    const std::int64_t put_at = now_ms();
    put_json(transport_,
             {{"client_id", client_id_},
              {"instance", hex_id(static_cast<std::uint64_t>(state.get(StateKey::instance_id)))},
              {"host", host_name()},
              {"database", db_.file().string()},
              {"claimed", format_timestamp_ms(put_at)}},
             work.file("owner.json"), owner_object_name(client_id_, token));
    claimed_token_ = token;
    WriteTransaction tx(db_.connection());
    state.set(StateKey::owner_put_ms, put_at);
    tx.commit();
}

void ShareGuard::finish() {
    if (claimed_token_ == 0) return;
    auto& state = db_.bookkeeping();
    const auto previous = static_cast<std::uint64_t>(state.get(StateKey::owner_token));
    {
        WriteTransaction tx(db_.connection());
        state.set(StateKey::owner_token_previous, static_cast<std::int64_t>(previous));
        state.set(StateKey::owner_token, static_cast<std::int64_t>(claimed_token_));
        state.clear(StateKey::owner_token_pending);
        tx.commit();
    }
    claimed_token_ = 0;
    if (previous == 0) return;
    try {
        remove_claims({owner_object_name(client_id_, previous)});
    } catch (const Error&) {
        return;  // still recorded as ours: the next sync removes it
    }
    WriteTransaction tx(db_.connection());
    state.clear(StateKey::owner_token_previous);
    tx.commit();
}

std::string ShareGuard::adopt(const WorkFolder& work) {
    auto marker = read_marker(work);
    const std::uint64_t id = marker ? marker->share_id : write_marker(work);
    WriteTransaction tx(db_.connection());
    db_.bookkeeping().set(StateKey::share_id, static_cast<std::int64_t>(id));
    db_.bookkeeping().set(StateKey::share_verified, marker ? 1 : 0);
    tx.commit();
    return hex_id(id);
}

}  // namespace nas_sync
