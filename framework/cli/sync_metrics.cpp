#include "cli/sync_metrics.hpp"

#include <fmt/format.h>

#include <chrono>

namespace nas_sync::cli {

void SyncMetrics::sync_succeeded(const SyncResult& r) {
    std::lock_guard lock(mutex_);
    ++succeeded_;
    inserted_ += r.inserted;
    updated_ += r.updated;
    deleted_ += r.deleted;
    skipped_ += r.skipped;
    conflicts_ += r.conflicts_resolved;
    bytes_published_ += r.bytes_published;
    bytes_fetched_ += r.bytes_fetched;
    const double seconds = static_cast<double>(r.duration_ms) / 1000;
    for (std::size_t i = 0; i < bucket_bounds.size(); ++i)
        if (seconds <= bucket_bounds[i]) {
            ++buckets_[i];
            break;
        }
    ++durations_;
    duration_sum_ += seconds;
    last_success_ = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    peers_synced_ = r.clients_synced;
    peers_skipped_ = static_cast<int>(r.skipped_remotes.size());
    peers_ = r.peers;  // a peer gone from the share drops out of the per-peer series
}

void SyncMetrics::sync_failed() {
    std::lock_guard lock(mutex_);
    ++failed_;
}

std::string SyncMetrics::render() const {
    std::lock_guard lock(mutex_);
    std::string out;
    auto family = [&out](const char* name, const char* type, const char* help) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    };
    family("nas_sync_syncs_total", "counter", "Syncs since this process started, by outcome.");
    out += fmt::format("nas_sync_syncs_total{{outcome=\"success\"}} {}\nnas_sync_syncs_total{{outcome=\"failure\"}} {}\n",
                       succeeded_, failed_);
    family("nas_sync_rows_total", "counter", "Peers' record states merged, by what happened to our row.");
    for (const auto& [kind, n] : {std::pair{"inserted", inserted_}, std::pair{"updated", updated_},
                                  std::pair{"deleted", deleted_}, std::pair{"skipped", skipped_}})
        out += fmt::format("nas_sync_rows_total{{kind=\"{}\"}} {}\n", kind, n);
    family("nas_sync_conflicts_total", "counter", "Conflicts decided (nas-sync conflicts lists them).");
    out += fmt::format("nas_sync_conflicts_total {}\n", conflicts_);
    family("nas_sync_bytes_published_total", "counter", "Bytes put on the share.");
    out += fmt::format("nas_sync_bytes_published_total {}\n", bytes_published_);
    family("nas_sync_bytes_fetched_total", "counter", "Bytes fetched from the share.");
    out += fmt::format("nas_sync_bytes_fetched_total {}\n", bytes_fetched_);
    family("nas_sync_sync_duration_seconds", "histogram", "How long successful syncs took.");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < bucket_bounds.size(); ++i) {
        cumulative += buckets_[i];
        out += fmt::format("nas_sync_sync_duration_seconds_bucket{{le=\"{}\"}} {}\n", bucket_bounds[i], cumulative);
    }
    out += fmt::format("nas_sync_sync_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", durations_);
    out += fmt::format("nas_sync_sync_duration_seconds_sum {}\nnas_sync_sync_duration_seconds_count {}\n", duration_sum_,
                       durations_);
    family("nas_sync_last_success_timestamp_seconds", "gauge", "When the last successful sync ended (0: none yet).");
    out += fmt::format("nas_sync_last_success_timestamp_seconds {:.3f}\n", last_success_);
    family("nas_sync_peers", "gauge", "Peers of the last successful sync, read or skipped for their schema version.");
    out += fmt::format("nas_sync_peers{{state=\"synced\"}} {}\nnas_sync_peers{{state=\"skipped\"}} {}\n", peers_synced_,
                       peers_skipped_);
    // Client ids are letters, digits, '.', '_' and '-': label values that need no escaping.
    family("nas_sync_peer_last_publish_timestamp_seconds", "gauge",
           "When each peer of the last successful sync last wrote to the share (its newest object, by the share's clock).");
    for (const auto& p : peers_)
        out += fmt::format("nas_sync_peer_last_publish_timestamp_seconds{{peer=\"{}\"}} {:.3f}\n", p.client,
                           std::chrono::duration<double>(p.last_publish.time_since_epoch()).count());
    family("nas_sync_peer_unread_objects", "gauge",
           "What of each peer the last successful sync left unread: journal segments, or its snapshot copy (1).");
    for (const auto& p : peers_)
        out += fmt::format("nas_sync_peer_unread_objects{{peer=\"{}\"}} {}\n", p.client, p.unread_objects);
    return out;
}

}  // namespace nas_sync::cli
