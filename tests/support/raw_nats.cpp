#include "raw_nats.hpp"

#include <stdexcept>

namespace nas_sync::test {

namespace {

void check(natsStatus s, const std::string& what) {
    if (s != NATS_OK) throw std::runtime_error("raw NATS client: " + what + ": " + natsStatus_GetText(s));
}

jsOptions options() {
    jsOptions o;
    jsOptions_Init(&o);
    o.Wait = 5000;
    return o;
}

StoredMessage to_stored(natsMsg* m) {
    StoredMessage out;
    out.subject = natsMsg_GetSubject(m);
    out.data.assign(natsMsg_GetData(m), static_cast<std::size_t>(natsMsg_GetDataLength(m)));
    out.sequence = natsMsg_GetSequence(m);
    const char* rollup = nullptr;
    if (natsMsgHeader_Get(m, "Nats-Rollup", &rollup) == NATS_OK && rollup) out.rollup_header = rollup;
    return out;
}

}  // namespace

RawNats::RawNats(const std::vector<std::string>& servers) {
    natsOptions* o = nullptr;
    check(natsOptions_Create(&o), "options");
    std::vector<const char*> urls;
    for (const auto& s : servers) urls.push_back(s.c_str());
    natsOptions_SetServers(o, urls.data(), static_cast<int>(urls.size()));
    natsOptions_SetTimeout(o, 5000);
    const natsStatus s = natsConnection_Connect(&nc_, o);
    natsOptions_Destroy(o);
    check(s, "connect");
    jsOptions jo = options();
    check(natsConnection_JetStream(&js_, nc_, &jo), "JetStream");
}

RawNats::~RawNats() {
    jsCtx_Destroy(js_);
    natsConnection_Destroy(nc_);
}

std::optional<StreamSummary> RawNats::stream(const std::string& name) {
    jsStreamInfo* si = nullptr;
    jsOptions o = options();
    const natsStatus s = js_GetStreamInfo(&si, js_, name.c_str(), &o, nullptr);
    if (s == NATS_NOT_FOUND) return std::nullopt;
    check(s, "stream info");
    StreamSummary out;
    for (int i = 0; i < si->Config->SubjectsLen; ++i) out.subjects.push_back(si->Config->Subjects[i]);
    out.allow_rollup = si->Config->AllowRollup;
    out.allow_direct = si->Config->AllowDirect;
    out.discard_new = si->Config->Discard == js_DiscardNew;
    out.file_storage = si->Config->Storage == js_FileStorage;
    out.replicas = si->Config->Replicas;
    out.messages = si->State.Msgs;
    if (si->Cluster && si->Cluster->Leader) out.leader = si->Cluster->Leader;
    jsStreamInfo_Destroy(si);
    return out;
}

std::uint64_t RawNats::messages_on(const std::string& stream, const std::string& filter) {
    jsStreamInfo* si = nullptr;
    jsOptions o = options();
    o.Stream.Info.SubjectsFilter = filter.c_str();
    check(js_GetStreamInfo(&si, js_, stream.c_str(), &o, nullptr), "stream info");
    std::uint64_t n = 0;
    if (si->State.Subjects)
        for (int i = 0; i < si->State.Subjects->Count; ++i) n += si->State.Subjects->List[i].Msgs;
    jsStreamInfo_Destroy(si);
    return n;
}

std::optional<StoredMessage> RawNats::last_message(const std::string& stream, const std::string& subject) {
    natsMsg* m = nullptr;
    jsOptions o = options();
    const natsStatus s = js_GetLastMsg(&m, js_, stream.c_str(), subject.c_str(), &o, nullptr);
    if (s == NATS_NOT_FOUND) return std::nullopt;
    check(s, "last message");
    auto out = to_stored(m);
    natsMsg_Destroy(m);
    return out;
}

std::vector<StoredMessage> RawNats::messages(const std::string& stream, const std::string& subject) {
    std::vector<StoredMessage> out;
    std::uint64_t from = 1;
    while (true) {
        jsDirectGetMsgOptions g;
        jsDirectGetMsgOptions_Init(&g);
        g.Sequence = from;
        g.NextBySubject = subject.c_str();
        natsMsg* m = nullptr;
        jsOptions o = options();
        const natsStatus s = js_DirectGetMsg(&m, js_, stream.c_str(), &o, &g);
        if (s == NATS_NOT_FOUND) return out;
        check(s, "direct get");
        out.push_back(to_stored(m));
        from = out.back().sequence + 1;
        natsMsg_Destroy(m);
    }
}

void RawNats::publish(const std::string& subject, const std::string& data, bool rollup) {
    natsMsg* m = nullptr;
    check(natsMsg_Create(&m, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size())), "message");
    if (rollup) natsMsgHeader_Set(m, "Nats-Rollup", "sub");
    jsPubAck* ack = nullptr;
    const natsStatus s = js_PublishMsg(&ack, js_, m, nullptr, nullptr);
    jsPubAck_Destroy(ack);
    natsMsg_Destroy(m);
    check(s, "publish " + subject);
}

RawNats::Listener::Listener(RawNats& nats, const std::string& subject) : nc_(nats.nc_) {
    check(natsConnection_SubscribeSync(&sub_, nc_, subject.c_str()), "subscribe " + subject);
    check(natsConnection_Flush(nc_), "flush");  // the server has the subscription before anyone publishes
}

RawNats::Listener::~Listener() { natsSubscription_Destroy(sub_); }

std::vector<std::string> RawNats::Listener::heard() {
    check(natsConnection_Flush(nc_), "flush");
    std::vector<std::string> out;
    natsMsg* m = nullptr;
    while (natsSubscription_NextMsg(&m, sub_, 0) == NATS_OK) {
        out.emplace_back(natsMsg_GetData(m), static_cast<std::size_t>(natsMsg_GetDataLength(m)));
        natsMsg_Destroy(m);
    }
    return out;
}

void RawNats::add_stream(const std::string& name, const std::vector<std::string>& subjects, bool allow_rollup,
                         bool allow_direct, bool memory) {
    std::vector<const char*> s;
    for (const auto& x : subjects) s.push_back(x.c_str());
    jsStreamConfig c;
    jsStreamConfig_Init(&c);
    c.Name = name.c_str();
    c.Subjects = s.data();
    c.SubjectsLen = static_cast<int>(s.size());
    c.AllowRollup = allow_rollup;
    c.AllowDirect = allow_direct;
    c.Storage = memory ? js_MemoryStorage : js_FileStorage;
    jsOptions o = options();
    check(js_AddStream(nullptr, js_, &c, &o, nullptr), "add stream " + name);
}

}  // namespace nas_sync::test
