#include "chunk_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

namespace nas_sync::nats_transport {

namespace {

// At most this many chunks (8 MiB) wait for their acknowledgement at once.
constexpr int max_chunks_in_flight = 64;

// What the library reports, from its own threads, about publishes the stream refused.
struct AsyncFailures {
    std::mutex mutex;
    std::string first;
    int count = 0;

    static void on_failure(jsCtx*, jsPubAckErr* failure, void* closure) {
        auto* self = static_cast<AsyncFailures*>(closure);
        std::lock_guard lock(self->mutex);
        if (self->count++ == 0)
            self->first = std::string(natsStatus_GetText(failure->Err)) +
                          (failure->ErrText ? std::string(" (") + failure->ErrText + ")" : "") +
                          (failure->ErrCode ? " [JetStream error " + std::to_string(failure->ErrCode) + "]" : "");
    }
    std::string text() {
        std::lock_guard lock(mutex);
        return count == 0 ? "" : first + (count > 1 ? " (and " + std::to_string(count - 1) + " more)" : "");
    }
};

// A JetStream context of its own for one put, so that acknowledgements still
// pending from a failed put never count against the next one.
class PutContext {
public:
    PutContext(NatsConnection& connection, AsyncFailures& failures) {
        jsOptions o = connection.js_options();
        o.PublishAsync.MaxPending = max_chunks_in_flight;
        o.PublishAsync.ErrHandler = &AsyncFailures::on_failure;
        o.PublishAsync.ErrHandlerClosure = &failures;
        o.PublishAsync.StallWait = connection.timeout_ms();
        if (const natsStatus s = natsConnection_JetStream(&js_, connection.nc(), &o); s != NATS_OK)
            connection.fail("cannot start a put", s);
    }
    ~PutContext() {
        drop_pending();
        jsCtx_Destroy(js_);
    }
    PutContext(const PutContext&) = delete;
    PutContext& operator=(const PutContext&) = delete;
    // The context for a publish (and from then on pending acknowledgements may exist).
    jsCtx* publishing() {
        published_ = true;
        return js_;
    }
    jsCtx* get() const { return js_; }
    // Forgets publishes still waiting for their acknowledgement. (The library
    // cannot be asked before the first publish.)
    void drop_pending() {
        if (!published_) return;
        natsMsgList pending{};
        if (js_PublishAsyncGetPendingList(&pending, js_) == NATS_OK) natsMsgList_Destroy(&pending);
    }

private:
    jsCtx* js_ = nullptr;
    bool published_ = false;
};

class LocalFile {
public:
    explicit LocalFile(const std::filesystem::path& path) : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
        if (fd_ < 0) fail();
    }
    ~LocalFile() { ::close(fd_); }
    LocalFile(const LocalFile&) = delete;
    LocalFile& operator=(const LocalFile&) = delete;
    // Fills `buffer` as far as the file goes; the number of bytes read.
    std::size_t read(std::vector<char>& buffer) {
        std::size_t done = 0;
        while (done < buffer.size()) {
            const ssize_t n = ::read(fd_, buffer.data() + done, buffer.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) fail();
            if (n == 0) break;
            done += static_cast<std::size_t>(n);
        }
        return done;
    }

private:
    [[noreturn]] void fail() {
        const int err = errno;
        throw Error(err == ENOENT ? ErrorCode::not_found : ErrorCode::io,
                    "cannot read local file '" + path_.string() + "': " + std::strerror(err));
    }
    std::filesystem::path path_;
    int fd_;
};

}  // namespace

void purge_subject(NatsConnection& connection, const Layout& layout, const std::string& subject, std::uint64_t before) {
    jsOptions o = connection.js_options();
    o.Stream.Purge.Subject = subject.c_str();
    o.Stream.Purge.Sequence = before;
    jsErrCode js_error = static_cast<jsErrCode>(0);
    if (const natsStatus s = js_PurgeStream(connection.js(), layout.stream().c_str(), &o, &js_error); s != NATS_OK)
        connection.fail("cannot purge " + subject, s, js_error);
}

WrittenChunks publish_chunks(NatsConnection& connection, const Layout& layout, const std::string& subject,
                             const std::filesystem::path& local_file) {
    LocalFile file(local_file);
    AsyncFailures failures;
    WrittenChunks out;
    // Whatever went wrong, the chunks already stored belong to no object: purge them.
    auto abandon = [&](const std::string& reason) {
        std::string cleanup;
        try {
            purge_subject(connection, layout, subject);
        } catch (const Error&) {
            cleanup = "; its chunks on " + subject + " stay until a purge succeeds";
        }
        throw Error(ErrorCode::io, connection.message("cannot put an object", reason + cleanup));
    };
    {
        PutContext js(connection, failures);
        jsPubOptions per_message;
        jsPubOptions_Init(&per_message);
        per_message.MaxWait = connection.timeout_ms();
        std::vector<char> buffer(chunk_size);
        Sha256 sha;
        while (true) {
            std::size_t n = 0;
            try {
                n = file.read(buffer);
            } catch (const Error& e) {
                js.drop_pending();
                if (out.chunks > 0) abandon(e.what());
                throw;
            }
            if (n == 0) break;
            sha.update(buffer.data(), n);
            natsMsg* msg = nullptr;
            natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, buffer.data(), static_cast<int>(n));
            if (s == NATS_OK) s = js_PublishMsgAsync(js.publishing(), &msg, &per_message);
            natsMsg_Destroy(msg);  // left to us only when the publish did not take it
            if (s != NATS_OK) {
                js.drop_pending();
                abandon(std::string("publishing chunk ") + std::to_string(out.chunks + 1) + " failed: " +
                        natsStatus_GetText(s));
            }
            out.size += n;
            ++out.chunks;
            if (n < buffer.size()) break;
        }
        out.digest = digest_text(sha.finish());
        jsPubOptions wait;
        jsPubOptions_Init(&wait);
        wait.MaxWait = connection.timeout_ms();
        const natsStatus s = js_PublishAsyncComplete(js.get(), &wait);
        const std::string refused = failures.text();
        if (s != NATS_OK || !refused.empty()) {
            js.drop_pending();
            abandon(refused.empty() ? std::string("the stream did not acknowledge every chunk: ") + natsStatus_GetText(s) +
                                          (s == NATS_TIMEOUT ? " after " + std::to_string(connection.timeout_ms()) + " ms" : "")
                                    : "the stream refused a chunk: " + refused);
        }
    }
    return out;
}

MsgPtr next_chunk(NatsConnection& connection, const Layout& layout, const std::string& subject, std::uint64_t from) {
    jsOptions o = connection.js_options();
    jsDirectGetMsgOptions get;
    jsDirectGetMsgOptions_Init(&get);
    get.Sequence = from;
    get.NextBySubject = subject.c_str();
    for (int attempt = 0; attempt < 3; ++attempt) {
        natsMsg* msg = nullptr;
        const natsStatus s = js_DirectGetMsg(&msg, connection.js(), layout.stream().c_str(), &o, &get);
        if (s == NATS_OK) return MsgPtr(msg);
        if (s != NATS_NOT_FOUND) connection.fail("cannot read " + subject, s);
    }
    return nullptr;
}

}  // namespace nas_sync::nats_transport
