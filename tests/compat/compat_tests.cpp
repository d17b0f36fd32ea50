// Compatibility with the original sqlite-nas-sync (tests/fixtures/original, made by
// running it): the same schema version, and the same user tables after
// syncing in the original's place.
#include <doctest/doctest.h>

#include "engine/tables/schema_version.hpp"
#include "fleet.hpp"
#include "host/loaded_pipeline.hpp"

using namespace nas_sync;
using namespace nas_sync::test;
namespace fs = std::filesystem;

namespace {

// Runs our sync as the client that made `step` (".../final-stepN-<client>"),
// on copies of the share and the local database as the original saw them.
nlohmann::json replay(const fs::path& step, const std::vector<PluginSection>& resolvers) {
    const std::string name = step.filename().string();
    const std::string client = name.substr(name.rfind('-') + 1);
    TempDir dir;
    fs::copy(step / "nas-before", dir / "nas");
    fs::copy_file(step / "local-before" / (client + ".sqlite"), dir / "local.sqlite");
    PipelineConfig c;
    c.client_id = client;
    c.database = dir / "local.sqlite";
    c.base_dir = dir.path();
    c.transport = {.plugin = "fs", .options = {{"path", RawOption{(dir / "nas").string(), {}}}}, .key = "transport"};
    c.resolvers = resolvers;
    SyncClient sync_client(c);
    const auto result = sync_client.sync_now();
    CHECK(result.skipped_remotes.empty());
    CHECK(result.clients_synced == 1);
    return dump_database(dir / "local.sqlite");
}

}  // namespace

TEST_CASE("every final step of the original's fixtures ends with the same user tables") {
    int replayed = 0;
    for (const auto& scenario : fs::directory_iterator(fixtures_dir())) {
        if (!scenario.is_directory() || scenario.path().filename() == "schema-version") continue;
        std::vector<PluginSection> resolvers{{.plugin = "lww", .key = "resolvers[0]"}};
        if (scenario.path().filename() == "delete-protected")
            resolvers.insert(resolvers.begin(), {.plugin = "delete-protected", .tables = {"users"}, .key = "resolvers[0]"});
        for (const auto& step : fs::directory_iterator(scenario.path())) {
            if (!step.path().filename().string().starts_with("final-step")) continue;
            CAPTURE(step.path().string());
            const auto expected = nlohmann::json::parse(read_file(step.path() / "expected-dump.json"));
            CHECK(replay(step.path(), resolvers) == expected);
            ++replayed;
        }
    }
    CHECK(replayed == 7);
}

TEST_CASE("the automatic schema version is the one the original computes") {
    const auto dir = fixtures_dir() / "schema-version";
    const auto expected = read_file(dir / "expected-schema-versions.txt");
    int checked = 0;
    std::istringstream lines(expected);
    std::string file, version;
    while (lines >> file >> version) {
        CAPTURE(file);
        TempDir scratch;
        fs::create_directory(scratch / "nas");
        PipelineConfig c;
        c.client_id = "probe";
        c.database = dir / file;
        c.transport = {.plugin = "fs", .options = {{"path", RawOption{(scratch / "nas").string(), {}}}}, .key = "transport"};
        LoadedPipeline pipeline(c);
        std::vector<std::string> warnings;
        CHECK(auto_schema_version(pipeline.discover_tables(warnings)) == version);
        ++checked;
    }
    CHECK(checked == 3);
}

TEST_CASE("locale order: the original's localeCompare for table names") {
    std::vector<std::string> names{"Zeta", "item2", "b", "User", "Post", "comments", "a_b", "A2", "alpha",
                                   "attachments", "item10", "Ab"};
    std::sort(names.begin(), names.end(), locale_less);
    CHECK(names == std::vector<std::string>{"a_b", "A2", "Ab", "alpha", "attachments", "b", "comments", "item10",
                                            "item2", "Post", "User", "Zeta"});
}
