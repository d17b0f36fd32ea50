#include "metadata_listing.hpp"

#include <nas_sync/object_name.hpp>

#include <algorithm>
#include <map>

#include "orphan_sweep.hpp"

namespace nas_sync::nats_transport {

namespace {

// How long the consumer's creation may take before the metadata is walked instead.
constexpr std::int64_t max_consumer_wait_ms = 1000;
// How long listings walk after a consumer could not be created.
constexpr auto walk_after_consumer_failure = std::chrono::minutes(1);
constexpr auto sweep_interval = std::chrono::hours(1);
// From how many new stream messages on (chunks count too) a listing that
// kept the last one streams the new metadata through a consumer.
constexpr std::uint64_t min_streamed_messages = 64;

std::chrono::system_clock::time_point from_nanos(std::int64_t nanos) {
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(nanos)));
}

}  // namespace

// Keeps the newest metadata message of each name. A name rewritten while we
// read may arrive twice: the higher stream sequence counts. (Not in the
// anonymous namespace: ListingCache, declared in the header, holds one.)
class Newest {
public:
    explicit Newest(const Layout& layout) : layout_(layout) {}

    void add(const natsMsg* msg, std::uint64_t sequence, std::int64_t time_ns) {
        std::string problem;
        const auto info = decode_info(std::string_view(natsMsg_GetData(msg),
                                                       static_cast<std::size_t>(natsMsg_GetDataLength(msg))),
                                      problem);
        references_.add(natsMsg_GetSubject(msg), sequence, time_ns, info && info->deleted);
        if (info) (info->deleted ? references_.removed : references_.live).insert(info->nuid);
        // Only what get() would find under that name, and only safe names.
        if (!info || info->link || !is_safe_object_name(info->name) ||
            layout_.metadata(info->name) != natsMsg_GetSubject(msg))
            return;
        auto& entry = entries_[info->name];
        if (entry.sequence >= sequence) return;
        entry = {sequence, info->deleted, ObjectInfo{info->name, info->size, from_nanos(time_ns)}};
    }
    // Also counts messages add() passed over: the newest message read, whatever it named.
    void saw(std::uint64_t sequence) { highest_ = std::max(highest_, sequence); }
    std::uint64_t highest() const { return highest_; }

    std::vector<ObjectInfo> objects(std::string_view prefix) const {
        std::vector<ObjectInfo> out;
        for (const auto& [name, entry] : entries_)  // std::map: sorted by name
            if (!entry.deleted && name.starts_with(prefix)) out.push_back(entry.object);
        return out;
    }

    const ChunkReferences& references() const { return references_; }

private:
    struct Entry {
        std::uint64_t sequence = 0;
        bool deleted = false;
        ObjectInfo object;
    };
    const Layout& layout_;
    std::map<std::string, Entry> entries_;
    ChunkReferences references_;
    std::uint64_t highest_ = 0;
};

namespace {

struct Subscription {
    natsSubscription* sub = nullptr;
    ~Subscription() {
        if (!sub) return;
        natsSubscription_Unsubscribe(sub);  // deletes the consumer
        natsSubscription_Destroy(sub);
    }
};

struct MessageMetadata {
    jsMsgMetaData* meta = nullptr;
    ~MessageMetadata() { jsMsgMetaData_Destroy(meta); }
};

// The one pass: the newest metadata message of every name, or (from > 0)
// every metadata message from stream sequence `from` on. False when the
// consumer could not be created in time.
bool read_by_consumer(NatsConnection& connection, const Layout& layout, Newest& newest, std::uint64_t from = 0) {
    const std::string stream = layout.stream();
    jsOptions o = connection.js_options();
    o.Wait = std::min(connection.timeout_ms(), max_consumer_wait_ms);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream.c_str();
    so.Ordered = true;
    if (from > 0) {
        so.Config.DeliverPolicy = js_DeliverByStartSequence;
        so.Config.OptStartSeq = from;
    } else {
        so.Config.DeliverPolicy = js_DeliverLastPerSubject;
    }
    Subscription sub;
    jsErrCode js_error = static_cast<jsErrCode>(0);
    natsStatus s = js_SubscribeSync(&sub.sub, connection.js(), layout.all_metadata().c_str(), &o, &so, &js_error);
    if (s != NATS_OK) {
        sub.sub = nullptr;
        if (s == NATS_TIMEOUT || js_error != 0) return false;
        connection.fail("cannot list objects", s, js_error);
    }
    for (bool first = true;; first = false) {
        // From a sequence on, the newest message may have been rolled up
        // since we asked for it, leaving nothing to deliver: the walk finds out.
        const bool may_be_none = first && from > 0;
        natsMsg* raw = nullptr;
        s = natsSubscription_NextMsg(&raw, sub.sub,
                                     may_be_none ? std::min(connection.timeout_ms(), max_consumer_wait_ms)
                                                 : connection.timeout_ms());
        const MsgPtr msg(raw);
        if (s == NATS_TIMEOUT && may_be_none) return false;
        if (s != NATS_OK) connection.fail("cannot list objects", s);
        MessageMetadata md;
        if (natsMsg_GetMetaData(&md.meta, msg.get()) != NATS_OK || !md.meta)
            throw Error(ErrorCode::io, connection.message("cannot list objects", "a message came without its metadata"));
        newest.add(msg.get(), md.meta->Sequence.Stream, md.meta->Timestamp);
        newest.saw(md.meta->Sequence.Stream);
        if (md.meta->NumPending == 0) return true;
    }
}

// The walk: one direct get per metadata message from sequence `from`, in stream order.
void read_by_walk(NatsConnection& connection, const Layout& layout, Newest& newest, std::uint64_t from = 1) {
    const std::string filter = layout.all_metadata();
    jsOptions o = connection.js_options();
    jsDirectGetMsgOptions get;
    jsDirectGetMsgOptions_Init(&get);
    get.NextBySubject = filter.c_str();
    for (get.Sequence = from;;) {
        natsMsg* raw = nullptr;
        const natsStatus s = js_DirectGetMsg(&raw, connection.js(), layout.stream().c_str(), &o, &get);
        const MsgPtr msg(raw);
        if (s == NATS_NOT_FOUND) return;
        if (s != NATS_OK) connection.fail("cannot list objects", s);
        newest.add(msg.get(), natsMsg_GetSequence(msg.get()), natsMsg_GetTime(msg.get()));
        newest.saw(natsMsg_GetSequence(msg.get()));
        get.Sequence = natsMsg_GetSequence(msg.get()) + 1;
    }
}

}  // namespace

struct ListingCache {
    explicit ListingCache(const Layout& layout) : newest(layout) {}
    Newest newest;
};

std::vector<ObjectInfo> list_objects(NatsConnection& connection, const Layout& layout, std::string_view prefix,
                                     ListingState& state) {
    // The newest metadata message: none (an ordered consumer would only
    // wait), the one read last (nothing changed), or a newer one.
    std::uint64_t last_sequence = 0;
    {
        jsOptions o = connection.js_options();
        natsMsg* raw = nullptr;
        jsErrCode js_error = static_cast<jsErrCode>(0);
        const natsStatus s =
            js_GetLastMsg(&raw, connection.js(), layout.stream().c_str(), layout.all_metadata().c_str(), &o, &js_error);
        const MsgPtr any(raw);
        if (s == NATS_NOT_FOUND) {
            state.cache.reset();
            return {};
        }
        if (s != NATS_OK) connection.fail("cannot list objects", s, js_error);
        last_sequence = natsMsg_GetSequence(any.get());
    }
    const auto now = std::chrono::steady_clock::now();
    const bool sweep = now >= state.sweep_due;
    // Kept, and not behind the stream (purged back or made anew: read everything again).
    if (state.cache && !sweep && state.cache->newest.highest() <= last_sequence) {
        auto& newest = state.cache->newest;
        const std::uint64_t from = newest.highest() + 1;
        // A few messages: a direct get each. Many (a fleet that wrote a lot
        // since): streamed by a consumer, one request to make it and one to
        // delete it rather than a round trip per message.
        if (last_sequence >= from + min_streamed_messages && now >= state.walk_until) {
            if (!read_by_consumer(connection, layout, newest, from)) state.walk_until = now + walk_after_consumer_failure;
        }
        if (newest.highest() < last_sequence) read_by_walk(connection, layout, newest, newest.highest() + 1);
        // Direct gets may be answered by a replica behind the stream's leader:
        // one that has not reached the newest message is not trusted, and
        // everything is read again below.
        if (newest.highest() >= last_sequence) return newest.objects(prefix);
    }
    auto cache = std::make_shared<ListingCache>(layout);
    if (now < state.walk_until || !read_by_consumer(connection, layout, cache->newest)) {
        if (now >= state.walk_until) state.walk_until = now + walk_after_consumer_failure;
        read_by_walk(connection, layout, cache->newest);
    }
    if (sweep) {
        sweep_orphan_chunks(connection, layout, cache->newest.references(), state.abandoned_after);
        state.sweep_due = now + sweep_interval;
    }
    state.cache = cache;
    return cache->newest.objects(prefix);
}

}  // namespace nas_sync::nats_transport
