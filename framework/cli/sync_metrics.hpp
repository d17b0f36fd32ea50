// What `nas-sync run --metrics HOST:PORT` serves at /metrics, in the
// Prometheus text format: counters and gauges updated from the client's
// callbacks (one sync at a time; the HTTP thread reads them under a lock).
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "nas_sync/sync_result.hpp"

namespace nas_sync::cli {

class SyncMetrics {
public:
    void sync_succeeded(const SyncResult& result);
    void sync_failed();
    // Prometheus text exposition format, version 0.0.4.
    std::string render() const;

private:
    // Upper bounds of the sync-duration histogram's buckets, in seconds (+Inf follows).
    static constexpr std::array<double, 9> bucket_bounds{0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120};

    mutable std::mutex mutex_;
    std::uint64_t succeeded_ = 0, failed_ = 0;
    std::int64_t inserted_ = 0, updated_ = 0, deleted_ = 0, skipped_ = 0, conflicts_ = 0;
    std::uint64_t bytes_published_ = 0, bytes_fetched_ = 0;
    std::array<std::uint64_t, bucket_bounds.size()> buckets_{};  // not cumulative: render() sums them
    std::uint64_t durations_ = 0;
    double duration_sum_ = 0;
    double last_success_ = 0;  // seconds since the epoch; 0: none yet
    int peers_synced_ = 0, peers_skipped_ = 0;  // of the last successful sync
    std::vector<PeerLag> peers_;                 // of the last successful sync
};

}  // namespace nas_sync::cli
