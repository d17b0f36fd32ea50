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
    // What an object to fetch must be.
    enum class Expect {
        database,  // a SQLite database: its header and size are checked on the share first
        progress,  // a journal read-<k>.txt: small text
    };
    // Gets an object into `copy`; false (and a warning) when it is listed but
    // gone, when it is not what it must be (checked before copying, and then,
    // when `remember`, not fetched again until it changes), or when the
    // temporary folder has no room for it.
    bool fetch(const std::string& peer, const ObjectInfo& object, const std::filesystem::path& copy,
               SyncResult& result, Expect expect = Expect::database, bool remember = true);
    // Warns that `object` is refused for `problem` and, when `remember`,
    // records it so that it is not fetched again until it changes (also for
    // what is found wrong once it is copied: a corrupt database). False.
    bool refuse(const std::string& peer, const ObjectInfo& object, const std::string& problem, SyncResult& result,
                bool remember = true);
    // The peer's database has our schema version (else it is reported in
    // skipped_remotes, and false) and our tables (else Error(corrupt)).
    bool usable(const std::string& peer, const PeerDatabase& database, SyncResult& result);
    void write_heartbeat();
    // After merging a peer's database: warns of its rows left out because
    // their key is not text.
    void report_skipped_keys(const std::string& peer, const PeerDatabase& database, SyncResult& result);
    // After ShareGuard::check (which measures the share's clock): warns of our
    // clock, and of local changes dated ahead of the share's clock.
    void check_clocks(SyncResult& result);
    // After merging a peer's object published (by the share's clock) at
    // `published`: warns when its changes are dated ahead of that.
    void check_peer_clock(const std::string& peer, std::int64_t newest_ms, std::chrono::system_clock::time_point published,
                          SyncResult& result);
    // Prunes the change log (never rows after keep_changelog_after), and
    // adds what the transport skipped without failing to the warnings.
    void end(std::int64_t keep_changelog_after, std::vector<std::string>& warnings);
    // Our id, schema version and the change-log rows after `published_id`.
    Status status_of_this_client(std::int64_t published_id);

private:
    SyncContext& ctx_;
};

}  // namespace nas_sync
