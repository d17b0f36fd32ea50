#include "engine/snapshot/snapshot_exchange.hpp"

#include "engine/fleet/report_publisher.hpp"
#include "engine/peer/work_folder.hpp"

namespace nas_sync {

SyncResult SnapshotExchange::sync() {
    SyncResult result;
    round_.begin();
    const auto objects = ctx_.transport.list("client-");
    WorkFolder work(ctx_.settings.client_id);
    std::optional<std::uint64_t> own_size;  // of our object on the share, when listed
    for (const auto& object : objects)
        if (client_of_snapshot_object(object.name) == ctx_.settings.client_id) own_size = object.size;
    ctx_.guard.check(objects, layout_.own_objects(own_size), work);
    round_.check_clocks(result);
    const auto reads = ctx_.db.peers().snapshot_reads_at_once();
    for (const auto& object : objects) {
        const std::string peer = client_of_snapshot_object(object.name);
        if (!peer.empty() && peer != ctx_.settings.client_id) layout_.pull(peer, reads.of(peer), object, work, result);
    }
    round_.write_heartbeat();
    layout_.publish(result, own_size, work);
    publish_digest_report(ctx_, "snapshot", work, result);
    round_.end(INT64_MAX, result.warnings);
    ctx_.guard.finish();
    return result;
}

Status SnapshotExchange::status() {
    Status status = round_.status_of_this_client(ctx_.db.bookkeeping().get(StateKey::published_changelog_id));
    WorkFolder work(ctx_.settings.client_id);
    for (const auto& object : ctx_.transport.list("client-")) {
        const std::string peer = client_of_snapshot_object(object.name);
        if (peer.empty() || peer == ctx_.settings.client_id) continue;
        status.peers.push_back(layout_.peer_status(peer, object, work, status.warnings));
    }
    for (auto& warning : ctx_.transport.take_warnings()) status.warnings.push_back(std::move(warning));
    return status;
}

}  // namespace nas_sync
