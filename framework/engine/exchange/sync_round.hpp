// The steps every exchange's sync takes, whatever the layout: begin (our
// schema version, then capture local changes), fetch a peer's object into the
// work folder, check that a peer's database can be merged, the heartbeat, and
// end (prune the change log).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "engine/exchange/sync_context.hpp"
#include "engine/peer/peer_database.hpp"
#include "nas_sync/sync_result.hpp"

namespace nas_sync {

class SyncRound {
public:
    explicit SyncRound(SyncContext& context) : ctx_(context) {}

    // Writes our schema version (a change counts as a change to publish), then captures.
    void begin();
    // Records the versions of what the application changed, in short write
    // transactions (ChangeCapture::capture_in_slices).
    void capture_changes();
    // Captures what is left, the last of it under the write lock (the
    // application may write until then): what a publish made now covers.
    struct Covered {
        std::int64_t changelog_id;  // the change log's last id
        std::int64_t applied_seq;   // StateKey::applied_seq
    };
    Covered capture_rest();
    // Gets an object into `copy`; false (and a warning) when it is listed but gone.
    bool fetch(const std::string& peer, const std::string& object, const std::filesystem::path& copy,
               SyncResult& result);
    // The peer's database has our schema version (else it is reported in
    // skipped_remotes, and false) and our tables (else Error(corrupt)).
    bool usable(const std::string& peer, const PeerDatabase& database, SyncResult& result);
    void write_heartbeat();
    // Prunes the change log (never rows after keep_changelog_after).
    void end(std::int64_t keep_changelog_after);
    // Our id, schema version and the change-log rows after `published_id`.
    Status status_of_this_client(std::int64_t published_id);

private:
    SyncContext& ctx_;
};

}  // namespace nas_sync
