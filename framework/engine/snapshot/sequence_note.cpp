#include "engine/snapshot/sequence_note.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/snapshot/snapshot_layout.hpp"

namespace nas_sync {

namespace {
constexpr std::string_view note_format = "nas-sync-snapshot-sequence";
constexpr std::size_t max_schema_version_bytes = 256;
}  // namespace

std::string sequence_note_name(const std::string& client_id) { return snapshot_object_name(client_id) + ".seq"; }

std::string format_sequence_note(const SequenceNote& note) {
    return nlohmann::json{{"format", note_format}, {"version", 1}, {"changelog_seq", note.changelog_seq},
                          {"schema_version", note.schema_version}}
               .dump() +
           "\n";
}

std::optional<SequenceNote> parse_sequence_note(std::string_view text, std::string& problem) {
    if (text.size() > max_sequence_note_bytes) {
        problem = fmt::format("{} bytes, more than a sequence note has", text.size());
        return std::nullopt;
    }
    const auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        problem = "not a JSON object";
        return std::nullopt;
    }
    if (j.value("format", "") != note_format || j.value("version", 0) != 1) {
        problem = fmt::format("not a '{}' note of version 1", note_format);
        return std::nullopt;
    }
    const auto seq = j.find("changelog_seq");
    const auto schema = j.find("schema_version");
    if (seq == j.end() || !seq->is_number_integer() || seq->get<std::int64_t>() < 0) {
        problem = "'changelog_seq' is not an integer of 0 or more";
        return std::nullopt;
    }
    if (schema == j.end() || !schema->is_string() || schema->get<std::string>().size() > max_schema_version_bytes) {
        problem = "'schema_version' is not a string of at most 256 bytes";
        return std::nullopt;
    }
    return SequenceNote{seq->get<std::int64_t>(), schema->get<std::string>()};
}

}  // namespace nas_sync
