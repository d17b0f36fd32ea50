#include "nats_transport.hpp"

#include <nas_sync/error.hpp>
#include <nas_sync/object_name.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

#include "chunk_io.hpp"
#include "metadata_listing.hpp"
#include "stream_setup.hpp"

namespace nas_sync::nats_transport {

namespace {

// Compare-and-swap attempts before a name that keeps changing under us is an error.
constexpr int max_metadata_attempts = 8;

std::string in_quotes(std::string_view name) { return "'" + std::string(name) + "'"; }

}  // namespace

NatsTransport::NatsTransport(NatsSettings settings, std::chrono::nanoseconds abandoned_after)
    : connection_(std::move(settings)) {
    layout_.bucket = connection_.settings().bucket;
    listing_.abandoned_after = abandoned_after;
}

std::string NatsTransport::describe() const {
    return connection_.settings().servers_text() + " bucket " + connection_.settings().bucket;
}

void NatsTransport::ready() {
    connection_.connect();
    if (stream_ready_) return;
    ensure_stream(connection_, layout_);
    stream_ready_ = true;
}

std::optional<NatsTransport::Metadata> NatsTransport::read_metadata(std::string_view name) {
    jsOptions o = connection_.js_options();
    natsMsg* raw = nullptr;
    jsErrCode js_error = static_cast<jsErrCode>(0);
    const std::string subject = layout_.metadata(name);
    const natsStatus s = js_GetLastMsg(&raw, connection_.js(), layout_.stream().c_str(), subject.c_str(), &o, &js_error);
    MsgPtr msg(raw);
    if (s == NATS_NOT_FOUND) return std::nullopt;
    if (s != NATS_OK) connection_.fail("cannot read the metadata of " + in_quotes(name), s, js_error);
    Metadata out;
    out.sequence = natsMsg_GetSequence(msg.get());
    out.info = decode_info(std::string_view(natsMsg_GetData(msg.get()), static_cast<std::size_t>(natsMsg_GetDataLength(msg.get()))),
                           out.problem);
    if (out.info && out.info->name != name) {
        out.problem = "its metadata names another object, '" + out.info->name + "'";
        out.info.reset();
    }
    return out;
}

NatsTransport::Metadata NatsTransport::existing_object(std::string_view name, const std::string& doing) {
    auto m = read_metadata(name);
    if (!m || (m->info && (m->info->deleted || m->info->link)))
        throw Error(ErrorCode::not_found,
                    connection_.message("cannot " + doing + " " + in_quotes(name),
                                        !m || m->info->deleted ? "no such object"
                                                               : "it is a link, which this transport does not follow"));
    if (!m->info)
        throw Error(ErrorCode::corrupt, connection_.message("cannot " + doing + " " + in_quotes(name), m->problem));
    return *m;
}

void NatsTransport::fail_read(std::string_view name, const Metadata& read, bool chunks_missing, const std::string& what) {
    const auto now = read_metadata(name);
    const std::string doing = "cannot read " + in_quotes(name);
    if (!now || now->sequence != read.sequence)
        throw Error(ErrorCode::not_found,
                    connection_.message(doing, "it was replaced or removed while we read it; try again"));
    if (chunks_missing)
        throw Error(ErrorCode::not_found, connection_.message(doing, what + " (an unfinished replace or remove?)"));
    throw Error(ErrorCode::corrupt, connection_.message(doing, what));
}

bool NatsTransport::publish_metadata(const StoredInfo& info, std::uint64_t expected) {
    const std::string subject = layout_.metadata(info.name);
    const std::string json = encode_info(info, layout_.bucket);
    natsMsg* raw = nullptr;
    natsStatus s = natsMsg_Create(&raw, subject.c_str(), nullptr, json.data(), static_cast<int>(json.size()));
    MsgPtr msg(raw);
    // Only the newest metadata of each name is kept.
    if (s == NATS_OK) s = natsMsgHeader_Set(msg.get(), "Nats-Rollup", "sub");
    if (s != NATS_OK) connection_.fail("cannot prepare the metadata of " + in_quotes(info.name), s);
    jsPubOptions o;
    jsPubOptions_Init(&o);
    o.MaxWait = connection_.timeout_ms();
    if (expected == 0)
        o.ExpectNoMessage = true;
    else
        o.ExpectLastSubjectSeq = expected;
    jsPubAck* ack = nullptr;
    jsErrCode js_error = static_cast<jsErrCode>(0);
    s = js_PublishMsg(&ack, connection_.js(), msg.get(), &o, &js_error);
    jsPubAck_Destroy(ack);
    if (s == NATS_OK) return true;
    if (js_error == JSStreamWrongLastSequenceErr) return false;
    connection_.fail("cannot publish the metadata of " + in_quotes(info.name), s, js_error);
}

std::vector<ObjectInfo> NatsTransport::list(std::string_view prefix) {
    ready();
    return list_objects(connection_, layout_, prefix, listing_);
}

void NatsTransport::put(const std::filesystem::path& local_file, std::string_view name) {
    require_safe_object_name(name);
    ready();
    auto replaced = read_metadata(name);
    StoredInfo info;
    info.name = std::string(name);
    info.nuid = new_nuid();
    const std::string chunks = layout_.chunks(info.nuid);
    const WrittenChunks written = publish_chunks(connection_, layout_, chunks, local_file);
    info.size = written.size;
    info.chunks = written.chunks;
    info.digest = written.digest;
    // Visible from here on; a writer that replaced the name meanwhile is
    // replaced in turn (the last put wins), its chunks purged below.
    for (int attempt = 0;; ++attempt) {
        if (publish_metadata(info, replaced ? replaced->sequence : 0)) break;
        if (attempt + 1 == max_metadata_attempts) {
            purge_subject(connection_, layout_, chunks);
            throw Error(ErrorCode::io, connection_.message("cannot put " + in_quotes(name),
                                                           "it kept being replaced by other writers"));
        }
        replaced = read_metadata(name);
    }
    if (replaced && replaced->info && !replaced->info->nuid.empty() && replaced->info->nuid != info.nuid) {
        try {
            purge_subject(connection_, layout_, layout_.chunks(replaced->info->nuid));
        } catch (const Error& e) {
            throw Error(ErrorCode::io, std::string("stored ") + in_quotes(name) +
                                           ", but the chunks of the object it replaced stay: " + e.what());
        }
    }
}

namespace {

// Calls `sink` with the chunks' bytes in order until `enough` bytes; the
// number of bytes handed over. `missing` and `mismatch` are called (and
// throw) when a chunk is missing or the chunks disagree with the metadata.
std::uint64_t read_chunks(NatsConnection& connection, const Layout& layout, const StoredInfo& info,
                          std::uint64_t enough, const std::function<void(const char*, std::size_t)>& sink,
                          const std::function<void(const std::string&)>& missing,
                          const std::function<void(const std::string&)>& mismatch) {
    const std::string subject = layout.chunks(info.nuid);
    std::uint64_t from = 1, got = 0;
    for (std::uint64_t i = 0; i < info.chunks && got < enough; ++i) {
        const MsgPtr chunk = next_chunk(connection, layout, subject, from);
        if (!chunk)
            missing("chunk " + std::to_string(i + 1) + " of its " + std::to_string(info.chunks) + " is missing");
        const auto n = static_cast<std::uint64_t>(natsMsg_GetDataLength(chunk.get()));
        if (n == 0 || got + n > info.size)
            mismatch("its chunks hold more bytes than the " + std::to_string(info.size) + " its metadata gives");
        sink(natsMsg_GetData(chunk.get()), n);
        got += n;
        from = natsMsg_GetSequence(chunk.get()) + 1;
    }
    if (enough >= info.size && got != info.size)
        mismatch("its " + std::to_string(info.chunks) + " chunks hold " + std::to_string(got) + " bytes, its metadata says " +
                 std::to_string(info.size));
    return got;
}

}  // namespace

void NatsTransport::get(std::string_view name, const std::filesystem::path& local_file) {
    require_safe_object_name(name);
    ready();
    const Metadata m = existing_object(name, "get");
    const int fd = ::open(local_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw Error(ErrorCode::io, "cannot write local file '" + local_file.string() + "': " + std::strerror(errno));
    auto write_all = [&](const char* data, std::size_t n) {
        while (n > 0) {
            const ssize_t w = ::write(fd, data, n);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0)
                throw Error(ErrorCode::io, "cannot write local file '" + local_file.string() + "': " + std::strerror(errno));
            data += w;
            n -= static_cast<std::size_t>(w);
        }
    };
    try {
        Sha256 sha;
        read_chunks(
            connection_, layout_, *m.info, m.info->size,
            [&](const char* data, std::size_t n) {
                sha.update(data, n);
                write_all(data, n);
            },
            [&](const std::string& what) { fail_read(name, m, true, what); },
            [&](const std::string& what) { fail_read(name, m, false, what); });
        if (!digest_matches(m.info->digest, sha.finish()))
            fail_read(name, m, false, "its chunks do not match its digest " + m.info->digest);
        if (::close(fd) != 0)
            throw Error(ErrorCode::io, "cannot write local file '" + local_file.string() + "': " + std::strerror(errno));
    } catch (...) {
        // No part of an object that cannot be trusted stays behind.
        if (::ftruncate(fd, 0) == 0) ::close(fd);
        throw;
    }
}

std::string NatsTransport::read_first_bytes(std::string_view name, std::size_t length) {
    require_safe_object_name(name);
    ready();
    const Metadata m = existing_object(name, "read");
    std::string out;
    read_chunks(
        connection_, layout_, *m.info, length, [&](const char* data, std::size_t n) { out.append(data, n); },
        [&](const std::string& what) { fail_read(name, m, true, what); },
        [&](const std::string& what) { fail_read(name, m, false, what); });
    if (out.size() > length) out.resize(length);
    return out;
}

void NatsTransport::remove(std::string_view name) {
    require_safe_object_name(name);
    ready();
    for (int attempt = 0; attempt < max_metadata_attempts; ++attempt) {
        const auto m = read_metadata(name);
        if (!m || (m->info && m->info->deleted))
            throw Error(ErrorCode::not_found, connection_.message("cannot remove " + in_quotes(name), "no such object"));
        StoredInfo marker;
        marker.name = std::string(name);
        marker.nuid = m->info ? m->info->nuid : new_nuid();
        marker.deleted = true;
        if (!publish_metadata(marker, m->sequence)) continue;  // rewritten meanwhile: look again
        if (m->info && !m->info->link) purge_subject(connection_, layout_, layout_.chunks(m->info->nuid));
        return;
    }
    throw Error(ErrorCode::io, connection_.message("cannot remove " + in_quotes(name), "it kept being replaced by other writers"));
}

}  // namespace nas_sync::nats_transport
