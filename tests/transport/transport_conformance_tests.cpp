// The conformance suite every transport passes: put/get/list/remove, atomic
// replacement under a concurrent reader, and refusal of unsafe names. Each
// transport runs here as its real plugin against a real store.
#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <functional>
#include <thread>

#include "nas_sync/object_name.hpp"
#include "nats_server.hpp"
#include "plugins/plugin_registry.hpp"
#include "share_folder.hpp"
#include "test_support.hpp"

using namespace nas_sync;
using namespace nas_sync::test;
namespace fs = std::filesystem;

namespace {

struct TransportUnderTest {
    std::string name;
    fs::path store;  // the folder it stores in
    std::function<std::shared_ptr<Transport>()> make;
    // How often the atomicity test replaces an object under a reader: over
    // SMB each replacement waits for gaps in the reader's opens (a file held
    // open cannot be replaced), so fewer keep the suite in seconds.
    int replacements = 1000;
};

const PluginRegistry& registry() {
    static const PluginRegistry r({build_plugin_dir()});
    return r;
}

// The real `fs` plugin on a folder.
std::shared_ptr<Transport> fs_transport(const fs::path& folder) {
    return registry().make_transport(share_transport(folder, ShareAccess::fs), ".");
}

// A fresh, empty store for each transport this build has: `fs` on a local
// folder, `smb` on a folder of this process's smbd, `nats` in a bucket of
// this process's nats-server.
struct Stores {
    TempDir fs_store;
    ShareFolder smb_store{fs_store / "unused", ShareAccess::smb};
    std::string nats_bucket = fresh_bucket("conformance");

    std::vector<TransportUnderTest> transports() const {
        return {{"fs", fs_store.path(), [this] { return fs_transport(fs_store.path()); }},
                {"smb", smb_store.path(),
                 [this] { return registry().make_transport(share_transport(smb_store.path(), ShareAccess::smb), "."); },
                 200},
                {"nats", fs_store.path(), [this] {
                     return registry().make_transport(nats_section({process_nats_server().url()}, nats_bucket), ".");
                 }}};
    }
};

// Content whose size and bytes depend on n, with its own length in front, so a
// torn or mixed copy is detected.
std::string payload(int n) {
    const std::size_t size = 1000 + static_cast<std::size_t>(n % 7) * 40000;
    std::string body(size, static_cast<char>('a' + n % 26));
    return std::to_string(size) + ":" + body + ":" + std::to_string(n);
}

bool is_whole_payload(const std::string& data) {
    const auto colon = data.find(':');
    if (colon == std::string::npos) return false;
    const std::size_t size = std::stoul(data.substr(0, colon));
    if (data.size() < colon + 1 + size + 1) return false;
    const std::string body = data.substr(colon + 1, size);
    const int n = std::stoi(data.substr(colon + 1 + size + 1));
    return data == payload(n) && body.find_first_not_of(body[0]) == std::string::npos;
}

ErrorCode error_code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    return ErrorCode::internal;
}

}  // namespace

TEST_CASE("transport conformance") {
    const Stores stores;
    TempDir local;
    for (const auto& t : stores.transports()) {
        CAPTURE(t.name);
        auto transport = t.make();

        SUBCASE("put, get, list, remove") {
            write_file(local / "a", "hello");
            write_file(local / "b", "a longer object");
            transport->put(local / "a", "client-A.sqlite");
            transport->put(local / "b", "journal/A/000001.seg");
            transport->put(local / "a", "journal/B/000001.seg");

            const auto all = transport->list("");
            REQUIRE(all.size() == 3);
            CHECK(all[0].name == "client-A.sqlite");
            CHECK(all[0].size == 5);
            CHECK(std::chrono::system_clock::now() - all[0].modified < std::chrono::minutes(5));
            CHECK(all[1].name == "journal/A/000001.seg");
            CHECK(all[1].size == 15);

            const auto folder = transport->list("journal/A/");
            REQUIRE(folder.size() == 1);
            CHECK(folder[0].name == "journal/A/000001.seg");
            CHECK(transport->list("client-").size() == 1);
            CHECK(transport->list("nothing/").empty());

            transport->get("journal/A/000001.seg", local / "copy");
            CHECK(read_file(local / "copy") == "a longer object");

            write_file(local / "b", "replaced");
            transport->put(local / "b", "client-A.sqlite");
            transport->get("client-A.sqlite", local / "copy");
            CHECK(read_file(local / "copy") == "replaced");

            transport->remove("client-A.sqlite");
            CHECK(transport->list("client-").empty());
            CHECK(error_code_of([&] { transport->get("client-A.sqlite", local / "copy"); }) == ErrorCode::not_found);
            CHECK(error_code_of([&] { transport->remove("client-A.sqlite"); }) == ErrorCode::not_found);
        }

        SUBCASE("the first bytes of an object are read without the rest") {
            std::string big(300000, 'x');
            big.replace(0, 16, "SQLite format 3");
            write_file(local / "big", big);
            transport->put(local / "big", "journal/A/base-000000000001.sqlite");
            CHECK(transport->read_first_bytes("journal/A/base-000000000001.sqlite", 100) == big.substr(0, 100));
            CHECK(transport->read_first_bytes("journal/A/base-000000000001.sqlite", 0).empty());
            write_file(local / "short", "tiny");
            transport->put(local / "short", "client-S.sqlite");
            CHECK(transport->read_first_bytes("client-S.sqlite", 100) == "tiny");
            CHECK(error_code_of([&] { transport->read_first_bytes("client-X.sqlite", 100); }) == ErrorCode::not_found);
        }

        SUBCASE("unsafe names are refused") {
            write_file(local / "a", "x");
            for (const std::string& name : std::vector<std::string>{"../escape", "/etc/passwd", "a/../../b", "a\\b", std::string("a\0b", 3), "",
                                           "a//b", "./a", "a/", "x/../../evil/client.sqlite", "sp ace"}) {
                CAPTURE(name);
                CHECK(error_code_of([&] { transport->put(local / "a", name); }) == ErrorCode::refused);
                CHECK(error_code_of([&] { transport->get(name, local / "b"); }) == ErrorCode::refused);
                CHECK(error_code_of([&] { transport->read_first_bytes(name, 16); }) == ErrorCode::refused);
                CHECK(error_code_of([&] { transport->remove(name); }) == ErrorCode::refused);
            }
            CHECK(transport->list("").empty());
            CHECK_FALSE(fs::exists(t.store.parent_path() / "escape"));
        }

        SUBCASE("a reader never sees a partial object while a writer replaces it again and again") {
            CAPTURE(t.replacements);
            write_file(local / "w0", payload(0));
            transport->put(local / "w0", "shared.obj");
            std::atomic<bool> done{false};
            std::atomic<int> whole_reads{0};
            std::atomic<int> bad_reads{0};
            std::thread reader([&] {
                auto reader_transport = t.make();
                int i = 0;
                while (!done.load()) {
                    const auto file = local / ("r" + std::to_string(i++ % 2));
                    try {
                        reader_transport->get("shared.obj", file);
                    } catch (const Error& e) {
                        if (e.code() != ErrorCode::not_found) ++bad_reads;  // briefly missing is allowed
                        continue;
                    }
                    if (is_whole_payload(read_file(file)))
                        ++whole_reads;
                    else
                        ++bad_reads;
                }
            });
            struct JoinReader {  // a put that throws must not leave the reader running
                std::atomic<bool>& done;
                std::thread& reader;
                ~JoinReader() {
                    done = true;
                    reader.join();
                }
            };
            {
                JoinReader join{done, reader};
                for (int n = 1; n <= t.replacements; ++n) {
                    const auto file = local / "w";
                    write_file(file, payload(n));
                    transport->put(file, "shared.obj");
                }
            }
            CHECK(bad_reads.load() == 0);
            CHECK(whole_reads.load() > 0);
            transport->get("shared.obj", local / "final");
            CHECK(read_file(local / "final") == payload(t.replacements));
            CHECK(transport->list("").size() == 1);  // no temporary file left behind
        }
    }
}

TEST_CASE("fs: a share folder that does not exist or cannot be written is a clear error") {
    CHECK_THROWS_WITH_AS(fs_transport("/nonexistent/share"), doctest::Contains("'/nonexistent/share' does not exist"),
                         Error);
    TempDir store;
    write_file(store / "file", "x");
    CHECK_THROWS_WITH_AS(fs_transport(store / "file"), doctest::Contains("is not a folder"), Error);
}

TEST_CASE("fs: temporary files of an unfinished put are not listed, and old ones are removed by the next put") {
    TempDir store, local;
    auto transport = fs_transport(store.path());
    const auto leftover = store / ".client-A.sqlite.0123456789abcdef.nstmp";
    write_file(leftover, "half a database");
    CHECK(transport->list("").empty());
    fs::last_write_time(leftover, fs::file_time_type::clock::now() - std::chrono::hours(2));
    write_file(local / "a", "x");
    transport->put(local / "a", "client-A.sqlite");
    CHECK_FALSE(fs::exists(leftover));
    CHECK(transport->list("").size() == 1);
}

TEST_CASE("fs: a temporary file of a dead process of this machine is removed by the next put into its folder") {
    TempDir store, local;
    auto transport = fs_transport(store.path());
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    std::string tag;
    for (const char* p = host; *p; ++p) tag += (std::isalnum(static_cast<unsigned char>(*p)) || *p == '-') ? *p : '_';
    const auto dead = store / (".base-000000000007.sqlite." + tag + ".999999999.0123456789abcdef.nstmp");
    const auto alive = store / (".client-A.sqlite." + tag + "." + std::to_string(::getpid()) + ".0123456789abcdef.nstmp");
    write_file(dead, "left by a killed put");
    write_file(alive, "a put in progress");
    write_file(local / "a", "x");
    transport->put(local / "a", "client-A.sqlite");
    CHECK_FALSE(fs::exists(dead));
    CHECK(fs::exists(alive));
}

TEST_CASE("fs: a folder tree over 1,000 levels deep on the share is walked only as deep as object names go") {
    // A stranger's share may hold any tree under journal/. A listing enters
    // folders only while a name in them can be an object's (1,024
    // characters), with little stack per level (a 16 KiB buffer per level,
    // 600 levels deep, overflowed the stack of a thread).
    TempDir store, local;
    auto transport = fs_transport(store.path());
    fs::path deep = store / "journal";
    std::string name = "journal";
    while (name.size() < max_object_name_length - 10) {
        deep /= "d";
        name += "/d";
    }
    fs::create_directories(deep);
    write_file(deep / "obj", "as deep as a name goes");  // "journal/d/.../d/obj": under 1,024 characters
    fs::path deeper = deep;
    for (int level = 0; level < 600; ++level) deeper /= "d";
    fs::create_directories(deeper);
    write_file(deeper / "obj", "beyond any name");
    write_file(local / "a", "x");
    transport->put(local / "a", "journal/A/seg-000000000001.sqlite");
    std::vector<ObjectInfo> listed;
    // In a thread: its stack (8 MiB here, often less elsewhere) is what a sync's listing has.
    std::thread([&] { listed = transport->list("journal/"); }).join();
    REQUIRE(listed.size() == 2);
    CHECK(listed[0].name == "journal/A/seg-000000000001.sqlite");
    CHECK(listed[1].name == name + "/obj");
    CHECK(is_safe_object_name(listed[1].name));
}

TEST_CASE("fs: objects are copied whole within one file system and between two (kernel copy or its fallback)") {
    TempDir local;
    std::vector<fs::path> shares{local / "share"};
    // tmpfs and this folder are different file systems when /dev/shm exists:
    // copy_file_range refuses (EXDEV) or copies across, and either must work.
    const fs::path other = fs::path("/dev/shm") / ("nas-sync-test-" + std::to_string(::getpid()));
    if (fs::is_directory("/dev/shm")) shares.push_back(other);
    std::string big(3 << 20, 'x');
    for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
    write_file(local / "big", big);
    write_file(local / "empty", "");
    for (const auto& share : shares) {
        CAPTURE(share);
        fs::create_directories(share);
        auto transport = fs_transport(share);
        transport->put(local / "big", "client-A.sqlite");
        transport->put(local / "empty", "client-B.sqlite");
        transport->get("client-A.sqlite", local / "big.copy");
        transport->get("client-B.sqlite", local / "empty.copy");
        CHECK(read_file(local / "big.copy") == big);
        CHECK(read_file(local / "empty.copy").empty());
    }
    fs::remove_all(other);
}
