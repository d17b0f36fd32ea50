// The plugin registry loads real plugin libraries and refuses bad ones,
// naming the file and the reason.
#include <doctest/doctest.h>

#include <algorithm>

#include "plugins/plugin_registry.hpp"
#include "test_support.hpp"

using namespace nas_sync;
using namespace nas_sync::test;
namespace fs = std::filesystem;

namespace {

bool has_problem(const PluginRegistry& r, const std::string& file, const std::string& text) {
    return std::any_of(r.problems().begin(), r.problems().end(), [&](const std::string& p) {
        return p.find(file) != std::string::npos && p.find(text) != std::string::npos;
    });
}

fs::path fs_plugin_file() { return build_plugin_dir() / "nas-sync-transport-fs.so"; }

}  // namespace

TEST_CASE("the built-in plugins load, each with its kind, name, version and options") {
    const PluginRegistry r({build_plugin_dir()});
    CHECK(r.problems().empty());
    std::vector<std::string> found;
    for (const auto& p : r.plugins())
        found.push_back(std::string(to_string(p.descriptor->kind)) + ":" + std::string(p.descriptor->name));
    std::sort(found.begin(), found.end());
    CHECK(found == std::vector<std::string>{"discovery:auto", "discovery:explicit", "discovery:prisma", "hook:exec",
                                            "hook:sql", "resolver:delete-protected", "resolver:lww", "transport:fs",
                                            "transport:nats", "transport:smb"});
}

TEST_CASE("a library built for another plugin API version is refused") {
    const PluginRegistry r({test_plugin_dir("wrong-api")});
    CHECK(r.plugins().empty());
    CHECK(has_problem(r, "wrong-api", "built for plugin API version 999, but this nas-sync uses version " + std::to_string(plugin_api_version)));
    CHECK_THROWS_WITH_AS(r.require_no_problems(), doctest::Contains("plugin API version 999"), Error);
}

TEST_CASE("a shared library that is not a plugin is refused") {
    const PluginRegistry r({test_plugin_dir("not-a-plugin")});
    CHECK(r.plugins().empty());
    CHECK(has_problem(r, "not-a-plugin", "not a nas-sync plugin"));
}

TEST_CASE("a file that is not a loadable library is refused") {
    TempDir dir;
    write_file(dir / "broken.so", "this is not an ELF file");
    const PluginRegistry r({dir.path()});
    CHECK(has_problem(r, "broken.so", "cannot load plugin library"));
}

TEST_CASE("a second plugin with a name already taken is refused, naming both files") {
    TempDir a, b;
    fs::copy_file(fs_plugin_file(), a / "first-fs.so");
    fs::copy_file(fs_plugin_file(), b / "second-fs.so");
    const PluginRegistry r({a.path(), b.path()});
    REQUIRE(r.plugins().size() == 1);
    CHECK(r.plugins()[0].file == a / "first-fs.so");
    REQUIRE(r.problems().size() == 1);
    const auto& problem = r.problems()[0];
    CHECK(problem.find((b / "second-fs.so").string()) != std::string::npos);
    CHECK(problem.find((a / "first-fs.so").string()) != std::string::npos);
    CHECK(problem.find("name 'fs' is already taken") != std::string::npos);
}

TEST_CASE("objects created by a plugin keep its library loaded after the registry is gone") {
    TempDir share;
    std::shared_ptr<Transport> transport;
    {
        const PluginRegistry r({build_plugin_dir()});
        PluginSection s;
        s.plugin = "fs";
        s.key = "transport";
        s.options["path"] = RawOption{share.path().string(), {}};
        transport = r.make_transport(s, ".");
    }
    write_file(share / "local", "x");
    transport->put(share / "local", "object");  // code of the plugin library, still mapped
    CHECK(transport->list("").size() == 2);
    CHECK(transport->describe() == "fs:" + share.path().string());
}

TEST_CASE("the search path: pipeline folders, then NAS_SYNC_PLUGIN_PATH, then the build tree") {
    TempDir a, b;
    ::setenv("NAS_SYNC_PLUGIN_PATH", (b.path().string() + ":" + b.path().string()).c_str(), 1);
    const auto folders = PluginRegistry::search_path({a.path()});
    ::unsetenv("NAS_SYNC_PLUGIN_PATH");
    REQUIRE(folders.size() == 3);
    CHECK(folders[0] == fs::canonical(a.path()));
    CHECK(folders[1] == fs::canonical(b.path()));
    CHECK(folders[2] == fs::canonical(build_plugin_dir()));
    CHECK_THROWS_WITH_AS(PluginRegistry::search_path({a / "missing"}), doctest::Contains("does not exist"), Error);
}
