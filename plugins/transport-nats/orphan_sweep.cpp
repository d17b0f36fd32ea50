#include "orphan_sweep.hpp"

#include <vector>

#include "chunk_io.hpp"

namespace nas_sync::nats_transport {

std::size_t sweep_orphan_chunks(NatsConnection& connection, const Layout& layout, const ChunkReferences& references,
                                std::chrono::nanoseconds abandoned_after) {
    const std::string chunks = layout.all_chunks(), metadata = layout.all_metadata();
    const std::string prefix = chunks.substr(0, chunks.size() - 1);  // "$O.<bucket>.C."
    const std::string metadata_prefix = metadata.substr(0, metadata.size() - 1);
    const std::string filter = "$O." + layout.bucket + ".>";
    jsOptions o = connection.js_options();
    o.Stream.Info.SubjectsFilter = filter.c_str();
    jsStreamInfo* raw = nullptr;
    jsErrCode js_error = static_cast<jsErrCode>(0);
    const natsStatus s = js_GetStreamInfo(&raw, connection.js(), layout.stream().c_str(), &o, &js_error);
    const std::unique_ptr<jsStreamInfo, void (*)(jsStreamInfo*)> info(raw, jsStreamInfo_Destroy);
    if (s != NATS_OK) connection.fail("cannot list the bucket's chunks", s, js_error);
    std::vector<std::string> subjects;
    std::size_t metadata_subjects = 0;
    if (info->State.Subjects)
        for (int i = 0; i < info->State.Subjects->Count; ++i) {
            std::string subject = info->State.Subjects->List[i].Subject;
            if (subject.starts_with(metadata_prefix)) ++metadata_subjects;
            subjects.push_back(std::move(subject));
        }
    if (metadata_subjects != references.metadata_subjects.size()) return 0;  // not a complete listing
    const std::int64_t newest = info->State.LastTime;

    std::size_t purged = 0;
    for (const auto& subject : subjects) {
        if (!subject.starts_with(prefix)) continue;
        const std::string nuid = subject.substr(prefix.size());
        if (references.live.count(nuid)) continue;
        if (!references.removed.count(nuid)) {
            const MsgPtr first = next_chunk(connection, layout, subject, 1);
            if (!first) continue;  // purged meanwhile
            if (newest - natsMsg_GetTime(first.get()) < abandoned_after.count()) continue;  // perhaps a put in progress
        }
        purge_subject(connection, layout, subject);
        ++purged;
    }
    for (const auto& [subject, newest_message] : references.metadata_subjects) {
        if (!newest_message.deleted || newest - newest_message.time_ns < abandoned_after.count()) continue;
        purge_subject(connection, layout, subject, newest_message.sequence + 1);
        ++purged;
    }
    return purged;
}

}  // namespace nas_sync::nats_transport
