// The nats transport against a real nats-server: NATS's object-store layout,
// chunking past the server's 1 MiB message limit, purging of replaced
// chunks, what a crashed or hostile writer leaves, servers that are down,
// and bad options.
#include <doctest/doctest.h>

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <thread>

#include "nats_server.hpp"
#include "nats_transport.hpp"
#include "plugins/plugin_registry.hpp"
#include "raw_nats.hpp"
#include "test_support.hpp"

using namespace nas_sync;
using namespace nas_sync::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const PluginRegistry& registry() {
    static const PluginRegistry r({build_plugin_dir()});
    return r;
}

std::shared_ptr<Transport> make(const PluginSection& s) { return registry().make_transport(s, "."); }

std::shared_ptr<Transport> make(const std::string& bucket) {
    return make(nats_section({process_nats_server().url()}, bucket));
}

// Bytes that differ along the object, so a chunk out of place shows.
std::string content(std::size_t size, unsigned seed = 1) {
    std::string s(size, '\0');
    std::uint32_t x = seed * 2654435761u + 1;
    for (auto& c : s) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<char>(x);
    }
    return s;
}

// "SHA-256=" and the base64url (padded) of the digest, computed here.
std::string sha256_digest(const std::string& data) {
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
    unsigned char b64[64] = {};
    EVP_EncodeBlock(b64, md, 32);
    std::string text(reinterpret_cast<char*>(b64));
    for (char& c : text) c = c == '+' ? '-' : c == '/' ? '_' : c;
    return "SHA-256=" + text;
}

ErrorCode code_of(const std::function<void()>& f, std::string* message = nullptr) {
    try {
        f();
    } catch (const Error& e) {
        if (message) *message = e.what();
        return e.code();
    }
    return ErrorCode::internal;
}

struct Bucket {
    std::string name = fresh_bucket("nats");
    std::string stream() const { return "OBJ_" + name; }
    std::string meta(const std::string& encoded) const { return "$O." + name + ".M." + encoded; }
    std::string chunks(const std::string& nuid) const { return "$O." + name + ".C." + nuid; }
};

}  // namespace

TEST_CASE("nats: objects are laid out as NATS's object store lays them out") {
    Bucket b;
    TempDir local;
    auto t = make(b.name);
    const std::string data = content(300 * 1024);  // 128 KiB + 128 KiB + 44 KiB
    write_file(local / "a", data);
    t->put(local / "a", "a.txt");

    RawNats raw({process_nats_server().url()});
    const auto stream = raw.stream(b.stream());
    REQUIRE(stream);
    CHECK(stream->subjects == std::vector<std::string>{"$O." + b.name + ".C.>", "$O." + b.name + ".M.>"});
    CHECK(stream->allow_rollup);
    CHECK(stream->allow_direct);
    CHECK(stream->discard_new);
    CHECK(stream->file_storage);
    CHECK(stream->replicas == 1);

    // base64url("a.txt") with its padding, as nats.go names the subject.
    const auto meta = raw.last_message(b.stream(), b.meta("YS50eHQ="));
    REQUIRE(meta);
    CHECK(meta->rollup_header == "sub");
    const auto info = json::parse(meta->data);
    CHECK(info["name"] == "a.txt");
    CHECK(info["bucket"] == b.name);
    CHECK(info["size"] == data.size());
    CHECK(info["chunks"] == 3);
    CHECK(info["digest"] == sha256_digest(data));
    CHECK(info["options"]["max_chunk_size"] == 128 * 1024);
    CHECK(info["mtime"].is_string());
    CHECK_FALSE(info.contains("deleted"));
    const std::string nuid = info["nuid"];
    CHECK(nuid.size() == 22);

    const auto chunks = raw.messages(b.stream(), b.chunks(nuid));
    REQUIRE(chunks.size() == 3);
    CHECK(chunks[0].data.size() == 128 * 1024);
    CHECK(chunks[1].data.size() == 128 * 1024);
    CHECK(chunks[2].data.size() == 44 * 1024);
    CHECK(chunks[0].data + chunks[1].data + chunks[2].data == data);
    CHECK(chunks[2].sequence < meta->sequence);  // the metadata comes after every chunk
    CHECK(stream->messages == 4);

    CHECK(t->describe() == process_nats_server().url() + " bucket " + b.name);
}

TEST_CASE("nats: an object larger than the server's 1 MiB message limit round-trips; its first bytes come alone") {
    Bucket b;
    TempDir local;
    auto t = make(b.name);
    const std::string data = content(3 * 1024 * 1024 + 17, 7);
    write_file(local / "big", data);
    t->put(local / "big", "client-A.sqlite");
    t->get("client-A.sqlite", local / "copy");
    CHECK(read_file(local / "copy") == data);
    CHECK(t->read_first_bytes("client-A.sqlite", 100) == data.substr(0, 100));
    CHECK(t->read_first_bytes("client-A.sqlite", 200000) == data.substr(0, 200000));
    const auto listed = t->list("");
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].size == data.size());
    write_file(local / "empty", "");
    t->put(local / "empty", "empty.obj");
    t->get("empty.obj", local / "empty-copy");
    CHECK(read_file(local / "empty-copy").empty());
    CHECK(t->read_first_bytes("empty.obj", 10).empty());
}

TEST_CASE("nats: replacing an object purges its old chunks; removing it leaves only a deleted marker") {
    Bucket b;
    TempDir local;
    auto t = make(b.name);
    RawNats raw({process_nats_server().url()});
    write_file(local / "v1", content(300 * 1024, 1));
    t->put(local / "v1", "client-A.sqlite");
    CHECK(raw.stream(b.stream())->messages == 4);  // 3 chunks, 1 metadata
    const auto first = t->list("")[0];

    write_file(local / "v2", content(200 * 1024, 2));
    t->put(local / "v2", "client-A.sqlite");
    CHECK(raw.stream(b.stream())->messages == 3);  // 2 chunks, 1 metadata: the old ones are gone
    CHECK(raw.messages_on(b.stream(), "$O." + b.name + ".C.>") == 2);
    const auto second = t->list("")[0];
    CHECK(second.size == 200 * 1024);
    CHECK(second.modified > first.modified);  // the engine tells a changed object by size and time
    t->get("client-A.sqlite", local / "copy");
    CHECK(read_file(local / "copy") == content(200 * 1024, 2));

    t->remove("client-A.sqlite");
    CHECK(raw.stream(b.stream())->messages == 1);
    const auto marker = json::parse(raw.last_message(b.stream(), b.meta("Y2xpZW50LUEuc3FsaXRl"))->data);
    CHECK(marker["deleted"] == true);
    CHECK(marker["size"] == 0);
    CHECK(t->list("").empty());
    CHECK(code_of([&] { t->get("client-A.sqlite", local / "copy"); }) == ErrorCode::not_found);
    CHECK(code_of([&] { t->read_first_bytes("client-A.sqlite", 10); }) == ErrorCode::not_found);
    CHECK(code_of([&] { t->remove("client-A.sqlite"); }) == ErrorCode::not_found);

    // A name can be stored again after its removal.
    t->put(local / "v1", "client-A.sqlite");
    t->get("client-A.sqlite", local / "copy");
    CHECK(read_file(local / "copy") == content(300 * 1024, 1));
}

TEST_CASE("nats: writers racing on one name leave one object and only its chunks") {
    Bucket b;
    TempDir local;
    make(b.name)->list("");  // creates the stream
    std::atomic<int> failures{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < 3; ++w)
        writers.emplace_back([&, w] {
            auto t = make(b.name);
            for (int i = 0; i < 15; ++i) {
                const auto file = local / ("w" + std::to_string(w) + "-" + std::to_string(i));
                write_file(file, content(static_cast<std::size_t>(1 + (w * 15 + i) % 4) * 100 * 1024,
                                         static_cast<unsigned>(w * 100 + i)));
                try {
                    t->put(file, "shared.obj");
                } catch (const Error&) {
                    ++failures;
                }
            }
        });
    for (auto& w : writers) w.join();
    CHECK(failures.load() == 0);
    auto t = make(b.name);
    const auto listed = t->list("");
    REQUIRE(listed.size() == 1);
    RawNats raw({process_nats_server().url()});
    const std::uint64_t chunks = (listed[0].size + 128 * 1024 - 1) / (128 * 1024);
    CHECK(raw.stream(b.stream())->messages == chunks + 1);  // no chunk of a replaced object is left
    t->get("shared.obj", local / "copy");
    CHECK(read_file(local / "copy").size() == listed[0].size);
}

TEST_CASE("nats: a put killed between its chunks and its metadata is never listed or read") {
    Bucket b;
    TempDir local;
    auto t = make(b.name);
    write_file(local / "old", content(150 * 1024, 3));
    t->put(local / "old", "client-B.sqlite");
    RawNats raw({process_nats_server().url()});
    // What a writer killed after its chunks leaves: chunks under a nuid no metadata names.
    raw.publish(b.chunks("KILLEDWRITER0000000001"), content(128 * 1024, 4));
    raw.publish(b.chunks("KILLEDWRITER0000000001"), content(1000, 5));
    const auto listed = t->list("");
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].name == "client-B.sqlite");
    CHECK(listed[0].size == 150 * 1024);
    t->get("client-B.sqlite", local / "copy");
    CHECK(read_file(local / "copy") == content(150 * 1024, 3));
    CHECK(code_of([&] { t->get("client-A.sqlite", local / "copy"); }) == ErrorCode::not_found);
}

TEST_CASE("nats: chunks no object owns, and old deleted markers, are swept by a transport's first listing") {
    Bucket b;
    TempDir local;
    write_file(local / "a", content(1000, 1));
    make(b.name)->put(local / "a", "client-A.sqlite");
    RawNats raw({process_nats_server().url()});
    // A put killed before its metadata: its chunks are young, perhaps a put in progress.
    raw.publish(b.chunks("KILLEDPUT0000000000001"), content(1000, 2));
    // A remove killed after its deleted marker, before its purge.
    raw.publish(b.chunks("KILLEDREMOVE0000000001"), content(1000, 3));
    raw.publish(b.meta("Y2xpZW50LUIuc3FsaXRl"),
                json{{"name", "client-B.sqlite"}, {"bucket", b.name}, {"nuid", "KILLEDREMOVE0000000001"},
                     {"size", 0}, {"chunks", 0}, {"deleted", true}}
                    .dump(),
                true);
    CHECK(make(b.name)->list("").size() == 1);
    CHECK(raw.messages_on(b.stream(), b.chunks("KILLEDREMOVE0000000001")) == 0);
    CHECK(raw.messages_on(b.stream(), b.chunks("KILLEDPUT0000000000001")) == 1);

    // Abandoned once old enough (an hour; here no time at all).
    const auto settings = nats_transport::NatsSettings::from_options(PluginOptions({
        {"servers", std::vector<std::string>{process_nats_server().url()}},
        {"bucket", b.name},
        {"replicas", std::int64_t{1}},
        {"timeout", std::chrono::milliseconds(10000)},
    }));
    CHECK(raw.last_message(b.stream(), b.meta("Y2xpZW50LUIuc3FsaXRl")));  // the marker stays an hour
    nats_transport::NatsTransport impatient(settings, std::chrono::nanoseconds(0));
    CHECK(impatient.list("").size() == 1);
    CHECK(raw.messages_on(b.stream(), b.chunks("KILLEDPUT0000000000001")) == 0);
    // Old deleted markers go too, so removed names do not lengthen listings for ever.
    CHECK_FALSE(raw.last_message(b.stream(), b.meta("Y2xpZW50LUIuc3FsaXRl")));
    CHECK(raw.stream(b.stream())->messages == 2);  // client-A's chunk and metadata
    impatient.get("client-A.sqlite", local / "copy");
    CHECK(read_file(local / "copy") == content(1000, 1));
    // The name can be stored again.
    impatient.put(local / "a", "client-B.sqlite");
    CHECK(make(b.name)->list("").size() == 2);
}

TEST_CASE("nats: metadata that does not match its chunks is never returned as data") {
    Bucket b;
    TempDir local;
    auto t = make(b.name);
    const std::string data = content(200 * 1024, 9);
    write_file(local / "a", data);
    t->put(local / "a", "client-A.sqlite");
    RawNats raw({process_nats_server().url()});
    const std::string subject = b.meta("Y2xpZW50LUEuc3FsaXRl");
    auto info = json::parse(raw.last_message(b.stream(), subject)->data);
    auto forge = [&](json changed) { raw.publish(subject, changed.dump(), true); };
    std::string message;

    SUBCASE("another digest") {
        info["digest"] = sha256_digest("something else");
        forge(info);
        CHECK(code_of([&] { t->get("client-A.sqlite", local / "copy"); }, &message) == ErrorCode::corrupt);
        CHECK(message.find("digest") != std::string::npos);
        CHECK(read_file(local / "copy").empty());
    }
    SUBCASE("a larger size") {
        info["size"] = data.size() + 1;
        forge(info);
        CHECK(code_of([&] { t->get("client-A.sqlite", local / "copy"); }) == ErrorCode::corrupt);
        CHECK(read_file(local / "copy").empty());
    }
    SUBCASE("a smaller size") {
        info["size"] = data.size() - 1;
        forge(info);
        CHECK(code_of([&] { t->get("client-A.sqlite", local / "copy"); }) == ErrorCode::corrupt);
        CHECK(code_of([&] { t->read_first_bytes("client-A.sqlite", data.size()); }) == ErrorCode::corrupt);
    }
    SUBCASE("more chunks than are stored: listed but missing, as during a replace") {
        info["chunks"] = 3;
        info["size"] = data.size() + 10;
        forge(info);
        CHECK(code_of([&] { t->get("client-A.sqlite", local / "copy"); }) == ErrorCode::not_found);
    }
    SUBCASE("chunks that are gone") {
        info["nuid"] = "NOSUCHCHUNKS0000000001";
        forge(info);
        CHECK(code_of([&] { t->get("client-A.sqlite", local / "copy"); }) == ErrorCode::not_found);
        CHECK(code_of([&] { t->read_first_bytes("client-A.sqlite", 16); }) == ErrorCode::not_found);
    }
    SUBCASE("not JSON, or another object's name: not listed, and corrupt") {
        raw.publish(subject, "{not json", true);
        CHECK(t->list("").empty());
        CHECK(code_of([&] { t->get("client-A.sqlite", local / "copy"); }) == ErrorCode::corrupt);
        info["name"] = "client-B.sqlite";
        forge(info);
        CHECK(t->list("").empty());
        CHECK(code_of([&] { t->get("client-A.sqlite", local / "copy"); }) == ErrorCode::corrupt);
    }
    SUBCASE("a name that could leave the store is not listed") {
        info["name"] = "../evil";
        raw.publish(b.meta("Li4vZXZpbA=="), info.dump(), true);
        const auto listed = t->list("");
        REQUIRE(listed.size() == 1);
        CHECK(listed[0].name == "client-A.sqlite");
    }
}

TEST_CASE("nats: listing by prefix reads every name once, sorted, with sizes") {
    Bucket b;
    TempDir local;
    auto t = make(b.name);
    for (int i = 0; i < 60; ++i) {
        write_file(local / "x", content(static_cast<std::size_t>(10 + i), static_cast<unsigned>(i)));
        const std::string name = (i % 3 == 0 ? "client-" : "journal/" + std::to_string(i % 2) + "/") +
                                 std::to_string(1000 - i) + ".obj";
        t->put(local / "x", name);
    }
    t->remove("client-1000.obj");
    const auto all = t->list("");
    CHECK(all.size() == 59);
    CHECK(std::is_sorted(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.name < y.name; }));
    CHECK(t->list("client-").size() == 19);
    const auto folder = t->list("journal/1/");
    CHECK(folder.size() == 20);
    for (const auto& o : folder) CHECK(o.name.starts_with("journal/1/"));
    CHECK(t->list("nothing/").empty());
    CHECK(make(fresh_bucket("empty"))->list("").empty());
}

TEST_CASE("nats: a listing kept from the last one follows what another writer put, replaced and removed since") {
    Bucket b;
    TempDir local;
    auto reader = make(b.name);
    auto writer = make(b.name);
    write_file(local / "x", content(100));
    writer->put(local / "x", "client-a.obj");
    writer->put(local / "x", "client-b.obj");
    REQUIRE(reader->list("client-").size() == 2);  // read in full, then kept
    CHECK(reader->list("client-").size() == 2);    // nothing new: answered from what was kept
    write_file(local / "x", content(333, 2));
    writer->put(local / "x", "client-a.obj");  // replaced: a newer metadata message
    writer->put(local / "x", "client-c.obj");
    writer->remove("client-b.obj");            // a deleted marker
    const auto after = reader->list("client-");
    REQUIRE(after.size() == 2);
    CHECK(after[0].name == "client-a.obj");
    CHECK(after[0].size == 333);
    CHECK(after[1].name == "client-c.obj");
    reader->get("client-a.obj", local / "got");
    CHECK(read_file(local / "got") == content(333, 2));
    // Everything removed: only deleted markers are left, and nothing is listed.
    writer->remove("client-a.obj");
    writer->remove("client-c.obj");
    CHECK(reader->list("client-").empty());
    CHECK(reader->list("").empty());
}

TEST_CASE("nats: a kept listing follows a fleet's worth of writes since (streamed, not a get per message)") {
    Bucket b;
    TempDir local;
    auto reader = make(b.name);
    auto writer = make(b.name);
    RawNats raw({process_nats_server().url()});
    RawNats::Listener direct_gets(raw, "$JS.API.DIRECT.GET.>");
    RawNats::Listener new_consumers(raw, "$JS.API.CONSUMER.CREATE.>");
    write_file(local / "x", content(100));
    writer->put(local / "x", "journal/a/read-1.txt");
    REQUIRE(reader->list("journal/").size() == 1);  // read in full, then kept
    direct_gets.heard();
    new_consumers.heard();
    // A few writes since: a direct get each.
    for (int i = 0; i < 3; ++i) writer->put(local / "x", "journal/b" + std::to_string(i) + "/read-1.txt");
    CHECK(reader->list("journal/").size() == 4);
    CHECK(direct_gets.heard().size() >= 3);
    CHECK(new_consumers.heard().empty());
    // Far more than the 64 new stream messages from which a kept listing
    // streams them: 50 clients putting, one replacing, one removing.
    for (int i = 0; i < 50; ++i) {
        write_file(local / "x", content(static_cast<std::size_t>(200 + i), static_cast<unsigned>(i)));
        writer->put(local / "x", "journal/c" + std::to_string(i) + "/read-2.txt");
    }
    write_file(local / "x", content(777, 3));
    writer->put(local / "x", "journal/c7/read-2.txt");  // replaced
    writer->remove("journal/a/read-1.txt");            // a deleted marker
    const auto after = reader->list("journal/");
    const auto gets = direct_gets.heard().size();
    CHECK_MESSAGE(gets < 10, gets);  // a walk makes one per message: over 50
    const auto consumers = new_consumers.heard();
    REQUIRE(consumers.size() == 1);  // from where the kept listing stopped, not everything again
    CHECK_MESSAGE(consumers[0].find("by_start_sequence") != std::string::npos, consumers[0]);
    REQUIRE(after.size() == 53);
    const auto c7 = std::find_if(after.begin(), after.end(), [](const auto& o) { return o.name == "journal/c7/read-2.txt"; });
    REQUIRE(c7 != after.end());
    CHECK(c7->size == 777);
    const auto c9 = std::find_if(after.begin(), after.end(), [](const auto& o) { return o.name == "journal/c9/read-2.txt"; });
    REQUIRE(c9 != after.end());
    CHECK(c9->size == 209);
    CHECK(std::none_of(after.begin(), after.end(), [](const auto& o) { return o.name == "journal/a/read-1.txt"; }));
    // The same as a listing read from scratch.
    const auto fresh = make(b.name)->list("journal/");
    REQUIRE(fresh.size() == after.size());
    for (std::size_t i = 0; i < fresh.size(); ++i) {
        CHECK(fresh[i].name == after[i].name);
        CHECK(fresh[i].size == after[i].size);
    }
}

TEST_CASE("nats: a stream that exists is used as it is, unless its settings cannot work") {
    RawNats raw({process_nats_server().url()});
    TempDir local;
    write_file(local / "a", "hello");

    Bucket memory;  // other storage than ours: fine
    raw.add_stream(memory.stream(), {"$O." + memory.name + ".C.>", "$O." + memory.name + ".M.>"}, true, true, true);
    auto t = make(memory.name);
    t->put(local / "a", "a");
    t->get("a", local / "copy");
    CHECK(read_file(local / "copy") == "hello");

    Bucket no_rollup;
    raw.add_stream(no_rollup.stream(), {"$O." + no_rollup.name + ".C.>", "$O." + no_rollup.name + ".M.>"}, false, true);
    std::string message;
    CHECK(code_of([&] { make(no_rollup.name)->list(""); }, &message) == ErrorCode::config);
    CHECK(message.find("rollup") != std::string::npos);

    Bucket other_subjects;
    raw.add_stream(other_subjects.stream(), {"elsewhere.>"}, true, true);
    CHECK(code_of([&] { make(other_subjects.name)->put(local / "a", "a"); }, &message) == ErrorCode::config);
    CHECK(message.find("$O." + other_subjects.name + ".M.>") != std::string::npos);
}

TEST_CASE("nats: a server that is down is Error(io) within the timeout, naming the servers and no secret") {
    NatsServer server(NatsServerOptions{.user = "office", .password = "pa55-w0rd-SECRET"});
    const std::string bucket = fresh_bucket("down");
    auto section = nats_section({server.url()}, bucket, 1, "1s");
    section.options["user"] = RawOption{std::string("office"), {}};
    section.options["password"] = RawOption{std::string("pa55-w0rd-SECRET"), {}};
    auto t = make(section);
    CHECK(t->describe().find("SECRET") == std::string::npos);
    TempDir local;
    write_file(local / "a", content(1000));
    t->put(local / "a", "client-A.sqlite");

    server.kill();
    for (const auto& call : std::vector<std::function<void()>>{
             [&] { t->list(""); }, [&] { t->get("client-A.sqlite", local / "copy"); },
             [&] { t->put(local / "a", "client-B.sqlite"); }, [&] { t->read_first_bytes("client-A.sqlite", 4); }}) {
        std::string message;
        const auto started = std::chrono::steady_clock::now();
        CHECK(code_of(call, &message) == ErrorCode::io);
        CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));  // loose: the timeout is 1 s
        CHECK(message.find(server.url()) != std::string::npos);
        CHECK(message.find("SECRET") == std::string::npos);
    }

    // Back with its store: the same transport reconnects and finds the object.
    server.start();
    std::vector<ObjectInfo> listed;
    for (int i = 0; i < 50 && listed.empty(); ++i) {
        try {
            listed = t->list("");
        } catch (const Error&) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].name == "client-A.sqlite");

    // Wrong credentials: a configuration error, the secret not shown.
    auto wrong = section;
    wrong.options["password"] = RawOption{std::string("not-the-SECRET-either"), {}};
    std::string message;
    CHECK(code_of([&] { make(wrong)->list(""); }, &message) == ErrorCode::config);
    CHECK(message.find("SECRET") == std::string::npos);
}

TEST_CASE("nats: servers nobody listens on, or that cannot be reached, are Error(io) within the timeout") {
    const std::string nobody = "nats://127.0.0.1:" + std::to_string(free_port());
    // A documentation-only address (RFC 5737): nothing answers there.
    const std::string unreachable = "nats://192.0.2.1:4222";
    for (const auto& servers : std::vector<std::vector<std::string>>{{nobody}, {unreachable}, {nobody, unreachable}}) {
        CAPTURE(servers.size());
        auto section = nats_section(servers, fresh_bucket("unreachable"), 1, "1s");
        section.options["token"] = RawOption{std::string("tok-SECRET-123"), {}};
        auto t = make(section);
        std::string message;
        const auto started = std::chrono::steady_clock::now();
        CHECK(code_of([&] { t->list(""); }, &message) == ErrorCode::io);
        CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));  // loose: the timeout is 1 s
        for (const auto& url : servers) CHECK(message.find(url) != std::string::npos);
        CHECK(message.find("SECRET") == std::string::npos);
    }
}

TEST_CASE("nats: bad options are configuration errors naming the option") {
    const std::string url = process_nats_server().url();
    auto with = [&](const std::string& option, RawOption::Value value) {
        auto s = nats_section({url}, fresh_bucket("options"));
        if (std::holds_alternative<std::string>(value) && std::get<std::string>(value) == "<unset>")
            s.options.erase(option);
        else
            s.options[option] = RawOption{value, {}};
        return s;
    };
    struct Case {
        std::string option;
        RawOption::Value value;
        std::string says;
    };
    const std::vector<Case> cases{
        {"bucket", std::string("bad.name"), "not a valid name"},
        {"bucket", std::string("has space"), "not a valid name"},
        {"bucket", std::string("$O"), "not a valid name"},
        {"replicas", std::string("0"), "1 to 5"},
        {"replicas", std::string("6"), "1 to 5"},
        {"servers", std::vector<std::string>{}, "no server"},
        {"servers", std::vector<std::string>{"nats://office:pw-SECRET@10.0.0.1:4222"}, "carries credentials"},
        {"servers", std::vector<std::string>{"http://10.0.0.1:4222"}, "scheme"},
        {"password", std::string("only-a-SECRET"), "needs a user"},
        {"tls_cert", std::string("/etc/hostname"), "needs its key"},
        {"tls_ca", std::string("/nonexistent/ca.pem"), "cannot read"},
        {"creds", std::string("/nonexistent/user.creds"), "cannot read"},
        {"timeout", std::string("0s"), "positive"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.option);
        CAPTURE(c.says);
        std::string message;
        CHECK(code_of([&] { make(with(c.option, c.value)); }, &message) == ErrorCode::config);
        CHECK(message.find("option '" + c.option + "'") != std::string::npos);
        CHECK(message.find(c.says) != std::string::npos);
        CHECK(message.find("SECRET") == std::string::npos);
    }
    std::string message;
    CHECK(code_of([&] { make(with("servers", std::string("<unset>"))); }, &message) == ErrorCode::config);
    CHECK(message.find("servers") != std::string::npos);
}
