#include "stream_setup.hpp"

#include <vector>

namespace nas_sync::nats_transport {

namespace {

std::vector<std::string> tokens(const std::string& subject) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t dot; (dot = subject.find('.', start)) != std::string::npos; start = dot + 1)
        out.push_back(subject.substr(start, dot - start));
    out.push_back(subject.substr(start));
    return out;
}

struct StreamInfo {
    jsStreamInfo* info = nullptr;
    ~StreamInfo() { jsStreamInfo_Destroy(info); }
};

// Why an existing stream cannot hold the bucket; "" when it can.
std::string problems_of(const jsStreamConfig& c, const Layout& layout) {
    std::vector<std::string> problems;
    for (const auto& ours : {layout.all_chunks(), layout.all_metadata()}) {
        bool covered = false;
        for (int i = 0; i < c.SubjectsLen; ++i) covered = covered || subject_covers(c.Subjects[i], ours);
        if (!covered) problems.push_back("its subjects do not include " + ours);
    }
    if (!c.AllowRollup) problems.push_back("rollup is not allowed (the metadata is rolled up per subject)");
    if (!c.AllowDirect) problems.push_back("direct get is not allowed (chunks are read by direct get)");
    if (c.Sealed) problems.push_back("it is sealed");
    if (c.DenyPurge) problems.push_back("purge is denied (replaced objects' chunks are purged)");
    if (c.Mirror != nullptr) problems.push_back("it is a mirror, which takes no writes");
    if (c.Retention != js_LimitsPolicy) problems.push_back("its retention is not 'limits', so stored objects vanish");
    if (c.MaxAge > 0) problems.push_back("its messages expire (max_age), so stored objects vanish");
    if (c.MaxMsgsPerSubject > 0) problems.push_back("it limits messages per subject, so large objects lose chunks");
    if (c.MaxMsgSize > 0 && static_cast<std::size_t>(c.MaxMsgSize) < chunk_size + 1024)
        problems.push_back("its max_msg_size " + std::to_string(c.MaxMsgSize) + " is below one 128 KiB chunk");
    std::string out;
    for (const auto& p : problems) out += (out.empty() ? "" : "; ") + p;
    return out;
}

}  // namespace

bool subject_covers(const std::string& filter, const std::string& pattern) {
    const auto f = tokens(filter), p = tokens(pattern);
    for (std::size_t i = 0; i < f.size(); ++i) {
        if (f[i] == ">") return i < p.size();
        if (i >= p.size() || p[i] == ">") return false;
        if (f[i] != "*" && f[i] != p[i]) return false;
        if (f[i] == "*" && p[i] == ">") return false;
    }
    return f.size() == p.size();
}

void ensure_stream(NatsConnection& connection, const Layout& layout) {
    const std::string name = layout.stream();
    if (natsConnection_GetMaxPayload(connection.nc()) < static_cast<std::int64_t>(chunk_size + 1024))
        throw Error(ErrorCode::config,
                    connection.message("cannot store objects",
                                       "the servers accept messages of at most " +
                                           std::to_string(natsConnection_GetMaxPayload(connection.nc())) +
                                           " bytes, less than one 128 KiB chunk; raise max_payload"));
    jsOptions o = connection.js_options();
    StreamInfo found;
    jsErrCode js_error = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&found.info, connection.js(), name.c_str(), &o, &js_error);
    if (s == NATS_NOT_FOUND) {
        const std::string chunks = layout.all_chunks(), metadata = layout.all_metadata();
        const char* subjects[] = {chunks.c_str(), metadata.c_str()};
        jsStreamConfig c;
        jsStreamConfig_Init(&c);
        c.Name = name.c_str();
        c.Description = "nas-sync objects (NATS object-store layout)";
        c.Subjects = subjects;
        c.SubjectsLen = 2;
        c.Storage = js_FileStorage;
        c.Replicas = connection.settings().replicas;
        c.Discard = js_DiscardNew;
        c.AllowRollup = true;
        c.AllowDirect = true;
        s = js_AddStream(&found.info, connection.js(), &c, &o, &js_error);
        if (s != NATS_OK && js_error == JSStreamNameExistErr)  // another client created it meanwhile
            s = js_GetStreamInfo(&found.info, connection.js(), name.c_str(), &o, &js_error);
        if (s != NATS_OK && (js_error == JSStreamReplicasNotSupportedErr || js_error == JSInsufficientResourcesErr ||
                             js_error == JSClusterNoPeersErr))
            connection.fail("cannot create stream " + name + " with " + std::to_string(c.Replicas) +
                                " replicas (option 'replicas'; 1 on a single server, at most the cluster's size)",
                            s, js_error, ErrorCode::config);
    }
    if (s != NATS_OK) {
        const bool disabled = js_error == JSNotEnabledErr || js_error == JSNotEnabledForAccountErr;
        if (disabled) connection.fail("JetStream is not enabled (start nats-server with -js)", s, js_error, ErrorCode::config);
        connection.fail(s == NATS_NO_RESPONDERS ? "no JetStream answers (is JetStream enabled, with -js?)"
                                                : "cannot find or create stream " + name,
                        s, js_error);
    }
    if (!found.info || !found.info->Config)
        throw Error(ErrorCode::io, connection.message("cannot read stream " + name, "the server sent no configuration"));
    if (const std::string problems = problems_of(*found.info->Config, layout); !problems.empty())
        throw Error(ErrorCode::config,
                    connection.message("stream " + name + " exists with settings this transport cannot use",
                                       problems + "; fix it or remove it (nats stream edit/rm " + name + ")"));
}

}  // namespace nas_sync::nats_transport
