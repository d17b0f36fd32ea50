// What keeps a client from writing where it should not, checked before a
// sync writes anything to the share:
//
// - The share's identity. The first client that uses a share writes a marker,
//   nas-sync/share.json, with a random share id; every client records the id
//   of the share it syncs with. A client whose own objects are not on the
//   share as it left them reads the marker: none (an unmounted NAS leaves an
//   empty mount point) or another one (the path now names another share) is a
//   refusal, until `nas-sync adopt-share` says the change is on purpose.
//
// - This installation's claim on its client id. Each publishing sync puts
//   client-<id>.owner-<token>.json with a new random token (and removes the
//   one before); another installation with the same client id (a copied
//   config, a cloned disk) finds a token that is not its own and refuses to
//   publish, naming both. The original's clients ignore these names.
//
// The share guard also measures the share's clock (the modification time of
// our own owner object against our clock when we put it), for clock_check.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/local/local_database.hpp"
#include "engine/peer/work_folder.hpp"
#include "nas_sync/transport.hpp"

namespace nas_sync {

// Whether our own published objects are on the share as we last put them.
enum class OwnObjects {
    none_yet,  // we have published nothing (so nothing can be missing)
    intact,    // listed, the size we put
    missing,   // not listed, or not the size we put
};

class ShareGuard {
public:
    ShareGuard(Transport& transport, LocalDatabase& db, std::string client_id)
        : transport_(transport), db_(db), client_id_(std::move(client_id)) {}

    // Before the sync writes anything to the share. `client_objects` is the
    // listing of "client-" at the share's root. Throws Error(refused) when the
    // share looks unmounted or replaced, or another installation publishes as
    // this client id; the first sync of a share writes its marker.
    void check(const std::vector<ObjectInfo>& client_objects, OwnObjects own, const WorkFolder& work);
    // Before the first put of a sync (once per sync): claims the client id
    // with a new token.
    void claim(const WorkFolder& work);
    // After the sync's puts: the new claim is recorded, the old one removed.
    void finish();
    // Records the share's marker as ours (writing one when the share has
    // none), for a share moved or replaced on purpose. The share id.
    std::string adopt(const WorkFolder& work);

    // The share's clock minus ours, in ms, as last measured; nothing before
    // the first measurement.
    std::optional<std::int64_t> share_clock_offset_ms() const { return share_offset_ms_; }

private:
    struct Marker {
        std::uint64_t share_id = 0;
        std::string created, created_by;
    };
    std::optional<Marker> read_marker(const WorkFolder& work);
    std::optional<Marker> read_marker_or_damage(const WorkFolder& work, bool& damaged);
    std::uint64_t write_marker(const WorkFolder& work);
    void check_owners(const std::vector<ObjectInfo>& client_objects, const WorkFolder& work);
    void ensure_instance_id();
    // Removes objects of ours; one already gone is fine, another failure throws.
    void remove_claims(const std::vector<std::string>& names);
    std::string describe_owner(const std::string& object, const WorkFolder& work);

    Transport& transport_;
    LocalDatabase& db_;
    std::string client_id_;
    std::uint64_t claimed_token_ = 0;  // this sync's claim, 0: none yet
    std::optional<std::int64_t> share_offset_ms_;
};

// This computer's name, as claims and digest reports give it.
std::string host_name();

// The names of the objects above.
inline constexpr const char* share_marker_name = "nas-sync/share.json";
std::string owner_object_name(const std::string& client_id, std::uint64_t token);
// The client id and token of an owner object's name; nothing for other names.
std::optional<std::pair<std::string, std::uint64_t>> parse_owner_object_name(const std::string& name);

}  // namespace nas_sync
