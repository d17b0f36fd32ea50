#include "engine/journal/journal_layout.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <sstream>

#include "nas_sync/pipeline.hpp"

namespace nas_sync {

std::string journal_object_name(const std::string& client, JournalObject kind, std::int64_t n) {
    switch (kind) {
        case JournalObject::segment: return fmt::format("journal/{}/seg-{:012}.sqlite", client, n);
        case JournalObject::base: return fmt::format("journal/{}/base-{:012}.sqlite", client, n);
        case JournalObject::read: return fmt::format("journal/{}/read-{:012}.txt", client, n);
    }
    return {};
}

std::map<std::string, PeerJournal> list_journals(Transport& transport) {
    static const std::regex pattern("journal/([^/]+)/(seg|base|read)-([0-9]{12})\\.(sqlite|txt)");
    std::map<std::string, PeerJournal> out;
    for (const auto& object : transport.list("journal/")) {
        std::smatch m;
        if (!std::regex_match(object.name, m, pattern) || !is_valid_client_id(m[1].str())) continue;
        auto& journal = out[m[1].str()];
        const std::int64_t n = std::stoll(m[3].str());
        const std::string kind = m[2].str();
        (kind == "seg" ? journal.segments : kind == "base" ? journal.bases : journal.reads)[n] = object;
        journal.newest = std::max(journal.newest, object.modified);
    }
    return out;
}

std::map<std::string, std::int64_t> parse_read_progress(const std::string& text) {
    std::map<std::string, std::int64_t> out;
    std::istringstream in(text);
    std::string peer;
    std::int64_t segment = 0;
    while (in >> peer >> segment)
        if (is_valid_client_id(peer)) out[peer] = segment;
    return out;
}

std::string format_read_progress(const std::map<std::string, std::int64_t>& progress) {
    std::string text;
    for (const auto& [peer, segment] : progress) text += fmt::format("{} {}\n", peer, segment);
    return text;
}

}  // namespace nas_sync
