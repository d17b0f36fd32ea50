// The examples are part of the product: the example pipelines load, and the
// embedding program syncs two real clients.
#include <doctest/doctest.h>

#include <cstdlib>

#include "fleet.hpp"
#include "nas_sync/pipeline.hpp"

using namespace nas_sync;
using namespace nas_sync::test;
namespace fs = std::filesystem;

TEST_CASE("every example pipeline is a valid pipeline file") {
    ::setenv("LAB_STATION", "station-1", 1);
    ::setenv("LAB_SHARE", "/mnt/lab", 1);
    ::setenv("SITE_ID", "site-1", 1);
    ::setenv("FLEET_NATS_PASSWORD", "not-a-real-password", 1);
    int loaded = 0;
    for (const auto& entry : fs::directory_iterator(source_dir() / "examples" / "pipelines")) {
        CAPTURE(entry.path().string());
        const auto config = load_pipeline_file(entry.path());
        CHECK_FALSE(config.client_id.empty());
        ++loaded;
    }
    CHECK(loaded == 3);
}

TEST_CASE("the embedding example syncs, reports conflicts and peers") {
    Fleet fleet({"A", "B"}, "CREATE TABLE users(id TEXT PRIMARY KEY, name TEXT, updatedAt TEXT);");
    fleet.write("A", "INSERT INTO users VALUES('u1','Ann','2026-01-01T00:00:00Z')");
    fleet.write("B", "INSERT INTO users VALUES('u1','Ann B','2026-01-02T00:00:00Z'), ('u2','Bob','2026-01-01T00:00:00Z')");
    fleet.sync("B");
    const auto pipeline = fleet.share().parent_path() / "A.yaml";
    write_file(pipeline, "version: 1\nclient_id: A\ndatabase: A.sqlite\ntransport: {plugin: fs, path: nas}\n");
    const auto r = run_process({NAS_SYNC_EMBED_EXAMPLE, pipeline.string(), "2"});
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(r.out.find("syncing table users (key id)") != std::string::npos);
    CHECK(r.out.find("conflict users/u1 with B: take_remote (lww)") != std::string::npos);
    CHECK(r.out.find("round 1: 1 peer(s), 1 inserted, 1 updated, 0 deleted") != std::string::npos);
    CHECK(r.out.find("peer B: 0 unread change(s)") != std::string::npos);
    CHECK(fleet.dump("A")["users"].size() == 2);
    CHECK(run_process({NAS_SYNC_EMBED_EXAMPLE}).status == 2);
}
