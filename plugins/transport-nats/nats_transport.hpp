// Transport `nats`: objects in a NATS JetStream stream, laid out as NATS's
// own object store lays them out (see object_layout.hpp), on one server or a
// cluster that replicates them.
//
// A put publishes the object's chunks under a fresh id, then its metadata
// (compare-and-swap on the name's last metadata sequence), then purges the
// chunks of the object it replaced. A reader trusts an object only once its
// metadata and all its chunks agree (size and SHA-256): chunks missing
// because the object was replaced or removed meanwhile are not_found (the
// engine tries again next round); chunks present that do not match their
// metadata are corrupt. Either way no partial object is ever returned.
#pragma once

#include <nas_sync/transport.hpp>

#include <optional>

#include "metadata_listing.hpp"
#include "nats_connection.hpp"
#include "object_layout.hpp"

namespace nas_sync::nats_transport {

class NatsTransport final : public Transport {
public:
    // Checks the settings' files; connects at the first call, and again at
    // any later call after a failure. Chunks no metadata names are purged
    // once `abandoned_after` old (see orphan_sweep.hpp).
    explicit NatsTransport(NatsSettings settings, std::chrono::nanoseconds abandoned_after = std::chrono::hours(1));

    // One pass over the bucket's metadata (see metadata_listing.hpp).
    std::vector<ObjectInfo> list(std::string_view prefix) override;
    void put(const std::filesystem::path& local_file, std::string_view name) override;
    void get(std::string_view name, const std::filesystem::path& local_file) override;
    // The metadata, then only the chunks that hold the first `length` bytes.
    std::string read_first_bytes(std::string_view name, std::size_t length) override;
    // Writes a deleted marker (as the object store does), then purges the chunks.
    void remove(std::string_view name) override;
    std::string describe() const override;

private:
    // The newest metadata message of a name.
    struct Metadata {
        std::uint64_t sequence = 0;
        std::optional<StoredInfo> info;  // unset when the message cannot be trusted
        std::string problem;             // why not
    };

    void ready();
    std::optional<Metadata> read_metadata(std::string_view name);
    // The metadata of an object that exists: not_found or corrupt otherwise.
    Metadata existing_object(std::string_view name, const std::string& doing);
    // Publishes `info` as the name's metadata if the name's newest metadata
    // is still `expected` (sequence, 0 for none). False when it is not.
    bool publish_metadata(const StoredInfo& info, std::uint64_t expected);
    // Why reading `name` stopped: not_found when its metadata changed or its
    // chunks are missing, corrupt when the chunks do not match it.
    [[noreturn]] void fail_read(std::string_view name, const Metadata& read, bool chunks_missing,
                                const std::string& what);

    NatsConnection connection_;
    Layout layout_;
    bool stream_ready_ = false;
    ListingState listing_;
};

}  // namespace nas_sync::nats_transport
