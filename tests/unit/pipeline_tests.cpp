// The pipeline file: good files load, bad files fail with FILE:LINE:COL and
// the key, for the host's keys and for plugin options alike.
#include <doctest/doctest.h>

#include <cstdlib>

#include <fmt/format.h>

#include "config/option_values.hpp"
#include "config/pipeline_keys.hpp"
#include "host/loaded_pipeline.hpp"
#include "nas_sync/pipeline.hpp"
#include "test_support.hpp"

using namespace nas_sync;
using namespace nas_sync::test;
namespace fs = std::filesystem;

namespace {

// Loads a pipeline the way `check` does, up to and including plugin creation.
void load_fully(const fs::path& file) { LoadedPipeline pipeline(load_pipeline_file(file)); }

std::string expectation_of(const fs::path& fixture) {
    const std::string text = read_file(fixture);
    const std::string marker = "# expect:";
    REQUIRE(text.starts_with(marker));
    return text.substr(marker.size(), text.find('\n') - marker.size());
}

}  // namespace

TEST_CASE("every bad pipeline fixture fails with its file, line, column and message") {
    int checked = 0;
    for (const auto& entry : fs::directory_iterator(test_fixtures_dir() / "pipelines" / "bad")) {
        CAPTURE(entry.path().filename().string());
        TempDir dir;
        fs::create_directory(dir / "nas");
        const auto file = dir / "nas-sync.yaml";
        fs::copy_file(entry.path(), file);
        const std::string expected = file.string() + ":" + expectation_of(entry.path()).substr(1);
        try {
            load_fully(file);
            FAIL("the pipeline loaded, but it should not");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::config);
            CHECK_MESSAGE(std::string(e.what()).find(expected) != std::string::npos,
                          "message: " << std::string(e.what()) << "\nexpected to contain: " << expected);
        }
        ++checked;
    }
    CHECK(checked >= 15);
}

TEST_CASE("a full pipeline loads with every key, defaults and relative paths resolved") {
    TempDir dir;
    fs::create_directories(dir / "share");
    ::setenv("NAS_SYNC_TEST_SHARE", (dir / "share").c_str(), 1);
    write_file(dir / "p.yaml", R"(version: 1
client_id: office-pc-1
database: ./data/local.sqlite
plugin_paths: []
transport:
  plugin: fs
  path: ${NAS_SYNC_TEST_SHARE}
exchange: snapshot
discovery:
  plugin: auto
  primary_key: id
  exclude: [LocalCache]
  timestamp_columns: {audit: modifiedAt}
resolvers:
  - plugin: delete-protected
    tables: [settings]
  - plugin: lww
interval: 5m
changelog_retention: 7d
heartbeat: false
schema_version: v42
)");
    const auto config = load_pipeline_file(dir / "p.yaml");
    CHECK(config.client_id == "office-pc-1");
    CHECK(config.database == (dir.path() / "data" / "local.sqlite").lexically_normal());
    CHECK(config.interval == std::chrono::minutes(5));
    CHECK(config.changelog_retention == std::chrono::hours(24 * 7));
    CHECK_FALSE(config.heartbeat);
    CHECK(config.schema_version == "v42");
    REQUIRE(config.resolvers.size() == 2);
    CHECK(config.resolvers[0].plugin == "delete-protected");
    CHECK(config.resolvers[0].tables == std::vector<std::string>{"settings"});
    CHECK(config.resolvers[0].location.line == 15);
    CHECK(std::get<std::string>(config.transport.options.at("path").value) == (dir / "share").string());
    LoadedPipeline pipeline(config);
    CHECK(pipeline.transport().describe() == "fs:" + (dir / "share").string());
    CHECK(pipeline.resolvers().entries().size() == 2);
    CHECK(pipeline.resolvers().entries()[0].applies_to("settings"));
    CHECK_FALSE(pipeline.resolvers().entries()[0].applies_to("users"));
    CHECK(pipeline.resolvers().entries()[1].applies_to("users"));
}

TEST_CASE("defaults: snapshot exchange, auto discovery, lww, 30s, 7d, heartbeat on") {
    TempDir dir;
    fs::create_directories(dir / "nas");
    write_file(dir / "p.yaml", "version: 1\nclient_id: a\ndatabase: db.sqlite\ntransport: {plugin: fs, path: nas}\n");
    const auto config = load_pipeline_file(dir / "p.yaml");
    CHECK(config.exchange == ExchangeLayout::snapshot);
    CHECK(config.discovery.plugin == "auto");
    REQUIRE(config.resolvers.size() == 1);
    CHECK(config.resolvers[0].plugin == "lww");
    CHECK(config.interval == std::chrono::seconds(30));
    CHECK(config.changelog_retention == std::chrono::hours(168));
    CHECK(config.heartbeat);
    CHECK(config.schema_version == "auto");
    CHECK(std::get<std::string>(config.transport.options.at("path").value) == "nas");
    LoadedPipeline pipeline(config);  // the path option is resolved against the file's folder
    CHECK(pipeline.transport().describe() == "fs:" + (dir / "nas").string());
}

TEST_CASE("durations") {
    CHECK(parse_duration("500ms", "x") == std::chrono::milliseconds(500));
    CHECK(parse_duration("30s", "x") == std::chrono::seconds(30));
    CHECK(parse_duration("5m", "x") == std::chrono::minutes(5));
    CHECK(parse_duration("1h", "x") == std::chrono::hours(1));
    CHECK(parse_duration("7d", "x") == std::chrono::hours(168));
    CHECK(parse_duration("36500d", "x") == std::chrono::hours(24 * 36500));  // 100 years, the longest
    CHECK_THROWS_WITH_AS(parse_duration("36501d", "x"), doctest::Contains("at most 36500d (100 years)"), Error);
    CHECK_THROWS_AS(parse_duration("876001h", "x"), Error);
    for (const char* bad : {"", "30", "s", "1.5h", "-1s", "30 s", "7w"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(parse_duration(bad, "x"), Error);
    }
}

TEST_CASE("client ids: letters, digits, '.', '_', '-', at most 64") {
    CHECK(is_valid_client_id("office-pc-1"));
    CHECK(is_valid_client_id("A.b_c-9"));
    CHECK(is_valid_client_id(std::string(64, 'x')));
    CHECK_FALSE(is_valid_client_id(std::string(65, 'x')));
    CHECK_FALSE(is_valid_client_id(""));
    CHECK_FALSE(is_valid_client_id("x/../../evil"));
    CHECK_FALSE(is_valid_client_id(".."));  // journal/../ would leave the client's folder
    CHECK_FALSE(is_valid_client_id("."));
    CHECK(is_valid_client_id("..a"));
    CHECK_FALSE(is_valid_client_id("a b"));
    CHECK_FALSE(is_valid_client_id("a\\b"));
}

TEST_CASE("a pipeline built in code is validated the same way") {
    TempDir dir;
    PipelineConfig config;
    config.client_id = "x/../evil";
    config.database = dir / "db.sqlite";
    config.transport.plugin = "fs";
    config.transport.key = "transport";
    CHECK_THROWS_WITH_AS(validate_pipeline(config), doctest::Contains("not a valid client id"), Error);
    config.client_id = "ok";
    config.transport.options["path"] = RawOption{(dir / "missing").string(), {}};
    CHECK_THROWS_WITH_AS(LoadedPipeline{config}, doctest::Contains("does not exist"), Error);
    fs::create_directory(dir / "missing");
    LoadedPipeline pipeline(config);
    CHECK(pipeline.transport().list("").empty());
}

TEST_CASE("the key table's defaults are the defaults of a pipeline that leaves them out") {
    TempDir dir;
    fs::create_directories(dir / "nas");
    const std::string required = "version: 1\nclient_id: pc1\ndatabase: ./app.sqlite\ntransport: {plugin: fs, path: ./nas}\n";
    // Every defaulted key written with the default its table row shows.
    std::string explicit_defaults = required;
    for (const auto& key : pipeline_keys())
        if (!key.spec.required && key.spec.name != "journal")
            explicit_defaults += fmt::format("{}: {}\n", key.spec.name, shown_default(key.spec) == "[]" && key.kind == KeyKind::value
                                                                            ? "[]"
                                                                            : std::string(key.spec.default_value));
    const auto left_out = parse_pipeline(required, dir / "a.yaml");
    const auto written = parse_pipeline(explicit_defaults, dir / "a.yaml");
    CHECK(written.exchange == left_out.exchange);
    CHECK(written.interval == left_out.interval);
    CHECK(written.changelog_retention == left_out.changelog_retention);
    CHECK(written.heartbeat == left_out.heartbeat);
    CHECK(written.schema_version == left_out.schema_version);
    CHECK(written.plugin_paths == left_out.plugin_paths);
    CHECK(written.discovery.plugin == left_out.discovery.plugin);
    REQUIRE(written.resolvers.size() == left_out.resolvers.size());
    CHECK(written.resolvers[0].plugin == left_out.resolvers[0].plugin);
    CHECK(written.hooks.empty());
    CHECK(left_out.hooks.empty());

    std::string journal = required + "exchange: journal\njournal:\n";
    for (const auto& key : journal_keys()) journal += fmt::format("  {}: {}\n", key.name, key.default_value);
    const auto journal_written = parse_pipeline(journal, dir / "a.yaml");
    const JournalOptions defaults;
    CHECK(journal_written.journal.base_every == defaults.base_every);
    CHECK(journal_written.journal.snapshot_every == defaults.snapshot_every);
    CHECK(journal_written.journal.retire_after == defaults.retire_after);
}

TEST_CASE("a YAML alias bomb (one large value repeated by aliases) is refused at once, not expanded") {
    TempDir dir;
    fs::create_directories(dir / "nas");
    std::string text = "version: 1\nclient_id: pc1\ndatabase: ./app.sqlite\ntransport: {plugin: fs, path: ./nas}\n"
                       "discovery:\n  plugin: auto\n  exclude: [&a \"" + std::string(100000, 'x') + "\"";
    for (int i = 0; i < 40000; ++i) text += ", *a";
    text += "]\n";
    CHECK_THROWS_WITH_AS(parse_pipeline(text, dir / "bomb.yaml"),
                         doctest::Contains("bomb.yaml:7:13: the pipeline's values add up to more than 1048576 bytes"),
                         ConfigError);
}

TEST_CASE("hooks: each entry keeps its plugin, options and events; without on: it takes complete and error") {
    TempDir dir;
    fs::create_directories(dir / "nas");
    const auto config = parse_pipeline(R"(version: 1
client_id: pc1
database: ./app.sqlite
transport: {plugin: fs, path: ./nas}
hooks:
  - plugin: exec
    command: [/bin/echo, hi]
    on: [start, conflict]
  - plugin: sql
    statements: ['SELECT 1']
)",
                                       dir / "a.yaml");
    REQUIRE(config.hooks.size() == 2);
    CHECK(config.hooks[0].key == "hooks[0]");
    CHECK(config.hooks[0].plugin == "exec");
    CHECK(config.hooks[0].on == std::vector<std::string>{"start", "conflict"});
    CHECK(config.hooks[0].options.count("command") == 1);
    CHECK(config.hooks[0].options.count("on") == 0);
    CHECK(config.hooks[1].on.empty());
    const LoadedPipeline loaded(config);
    REQUIRE(loaded.hooks().entries().size() == 2);
    CHECK(loaded.hooks().entries()[0].on == std::vector<SyncEventKind>{SyncEventKind::start, SyncEventKind::conflict});
    CHECK(loaded.hooks().entries()[1].on == std::vector<SyncEventKind>{SyncEventKind::complete, SyncEventKind::error});
    CHECK(loaded.hooks().wants(SyncEventKind::conflict));

    // Built in code, a bad event name is refused too, at the entry's key.
    auto in_code = config;
    in_code.hooks[1].on = {"done"};
    CHECK_THROWS_WITH_AS(LoadedPipeline{in_code}, doctest::Contains("key 'hooks[1].on': 'done' is not an event"),
                         ConfigError);
}
