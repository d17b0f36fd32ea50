// NATS's own object store (nats.go, which the `nats object` tools are built
// on) reads what the nats transport writes, checking every digest, and the
// transport reads what nats.go writes.
#include <doctest/doctest.h>

#include <openssl/evp.h>

#include <map>
#include <sstream>

#include "nats_server.hpp"
#include "plugins/plugin_registry.hpp"
#include "test_support.hpp"

using namespace nas_sync;
using namespace nas_sync::test;

namespace {

std::string sha256_hex(const std::string& data) {
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
    std::string out;
    char hex[3];
    for (unsigned char c : md) {
        std::snprintf(hex, sizeof hex, "%02x", c);
        out += hex;
    }
    return out;
}

std::string bytes(std::size_t size, char seed) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 31 + static_cast<std::size_t>(seed)) % 256);
    return s;
}

}  // namespace

TEST_CASE("nats interop: nats.go's object store reads our objects, and we read its") {
    const PluginRegistry registry({build_plugin_dir()});
    const std::string bucket = fresh_bucket("interop");
    auto t = registry.make_transport(nats_section({process_nats_server().url()}, bucket), ".");
    TempDir local;
    const std::map<std::string, std::string> objects{
        {"client-A.sqlite", bytes(300 * 1024 + 5, 'a')},  // three chunks
        {"journal/A/seg-000000000001.sqlite", bytes(1000, 'b')},
        {"journal/B/read-000000000001.txt", ""},
    };
    for (const auto& [name, data] : objects) {
        write_file(local / "x", data);
        t->put(local / "x", name);
    }
    write_file(local / "x", bytes(5000, 'c'));
    t->put(local / "x", "client-A.sqlite");  // replaced
    write_file(local / "x", "gone");
    t->put(local / "x", "removed.obj");
    t->remove("removed.obj");

    const auto r = run_process({NAS_SYNC_NATS_GO_OBJECTS, process_nats_server().url(), bucket, "from-go/data.bin",
                                std::to_string(200 * 1024 + 3)});
    REQUIRE_MESSAGE(r.status == 0, r.err);
    std::map<std::string, std::string> seen;
    std::istringstream lines(r.out);
    for (std::string name, size, read, digest; lines >> name >> size >> read >> digest;) {
        CHECK(size == read);
        seen[name] = size + " " + digest;
    }
    std::map<std::string, std::string> expected;
    for (auto [name, data] : objects) {
        if (name == "client-A.sqlite") data = bytes(5000, 'c');
        expected[name] = std::to_string(data.size()) + " " + sha256_hex(data);
    }
    CHECK(seen == expected);  // every object whole, the replaced one new, the removed one absent

    std::string go_data(200 * 1024 + 3, '\0');
    for (std::size_t i = 0; i < go_data.size(); ++i) go_data[i] = static_cast<char>(i % 251);
    const auto listed = t->list("from-go/");
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].name == "from-go/data.bin");
    CHECK(listed[0].size == go_data.size());
    t->get("from-go/data.bin", local / "copy");
    CHECK(read_file(local / "copy") == go_data);
    CHECK(t->read_first_bytes("from-go/data.bin", 10) == go_data.substr(0, 10));
    t->remove("from-go/data.bin");
    const auto after = run_process({NAS_SYNC_NATS_GO_OBJECTS, process_nats_server().url(), bucket});
    REQUIRE_MESSAGE(after.status == 0, after.err);
    CHECK(after.out.find("from-go/data.bin") == std::string::npos);  // our deleted marker is nats.go's too
}
