// A fleet on a three-node NATS cluster (routes on loopback, the bucket's
// stream replicated three times) keeps syncing while one node is killed, and
// converges with nothing lost, with either exchange.
#include <doctest/doctest.h>

#include <thread>

#include "fleet.hpp"
#include "nas_sync/error.hpp"
#include "nats_server.hpp"
#include "raw_nats.hpp"

using namespace nas_sync;
using namespace nas_sync::test;

namespace {

const char* schema = "CREATE TABLE notes(id TEXT PRIMARY KEY, body TEXT, updatedAt TEXT);";

// Syncs until a sync succeeds: while the cluster moves a leader, requests
// fail for a few seconds. The number of failed attempts.
int sync_until_it_succeeds(Fleet& fleet, const std::string& id) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (int failed = 0;; ++failed) {
        try {
            fleet.sync(id);
            return failed;
        } catch (const Error& e) {
            if (std::chrono::steady_clock::now() > deadline) throw;
            MESSAGE("client " << id << ": " << std::string(e.what()));
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
        }
    }
}

}  // namespace

TEST_CASE("nats cluster: a fleet syncing while a node is killed keeps syncing through the other two, losing nothing") {
    NatsCluster cluster(3);
    for (const auto exchange : {ExchangeLayout::snapshot, ExchangeLayout::journal}) {
        const std::string exchange_name = exchange == ExchangeLayout::journal ? "journal" : "snapshot";
        CAPTURE(exchange_name);
        ClientOptions options;
        options.exchange = exchange;
        options.journal.base_every = 3;
        const std::string bucket = fresh_bucket("cluster");
        options.transport = nats_section(cluster.urls(), bucket, 3, "3s");
        Fleet fleet({"A", "B", "C"}, schema, options);
        int rows = 0;
        auto write_everywhere = [&] {
            for (const auto& id : fleet.ids())
                fleet.write(id, "INSERT INTO notes VALUES('" + id + "-" + std::to_string(rows) + "','x','2026-01-01T00:00:00Z')");
            ++rows;
        };
        for (int round = 0; round < 3; ++round) {
            write_everywhere();
            for (const auto& id : fleet.ids()) CHECK(sync_until_it_succeeds(fleet, id) == 0);
        }

        // The node leading the bucket's stream goes down: its followers elect another.
        RawNats raw(cluster.urls());
        const auto stream = raw.stream("OBJ_" + bucket);
        REQUIRE(stream);
        CHECK(stream->replicas == 3);
        std::size_t killed = 0;
        for (std::size_t i = 0; i < cluster.size(); ++i)
            if (stream->leader == "n" + std::to_string(i + 1)) killed = i;
        cluster.node(killed).kill();

        int failed = 0;
        for (int round = 0; round < 4; ++round) {
            write_everywhere();
            for (const auto& id : fleet.ids()) failed += sync_until_it_succeeds(fleet, id);
        }
        MESSAGE(failed << " syncs failed while the cluster replaced node n" << killed + 1);
        for (const auto& id : fleet.ids()) sync_until_it_succeeds(fleet, id);  // every client has read every other's last round

        const auto first = fleet.dump("A");
        CHECK(first["notes"].size() == static_cast<std::size_t>(3 * rows));
        for (const auto& id : fleet.ids()) CHECK(fleet.dump(id) == first);

        // Back with the whole cluster, for the next exchange's new bucket.
        cluster.node(killed).start();
        cluster.wait_for_jetstream();
    }
}
