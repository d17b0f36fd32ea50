#include "engine/journal/journal_layout.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
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

std::optional<JournalObjectName> parse_journal_object_name(const std::string& name, bool* out_of_range) {
    static const std::regex pattern("journal/([^/]+)/(seg-([0-9]{12})\\.sqlite|base-([0-9]{12})\\.sqlite|read-([0-9]{12})\\.txt)");
    if (out_of_range) *out_of_range = false;
    std::smatch m;
    if (!std::regex_match(name, m, pattern) || !is_valid_client_id(m[1].str())) return std::nullopt;
    const auto kind = m[3].matched ? JournalObject::segment : m[4].matched ? JournalObject::base : JournalObject::read;
    const std::int64_t n = std::stoll(m[3].matched ? m[3].str() : m[4].matched ? m[4].str() : m[5].str());
    if (n > max_journal_number) {
        if (out_of_range) *out_of_range = true;
        return std::nullopt;
    }
    return JournalObjectName{m[1].str(), kind, n};
}

std::map<std::string, PeerJournal> list_journals(Transport& transport, std::vector<std::string>& warnings) {
    std::map<std::string, PeerJournal> out;
    for (const auto& object : transport.list("journal/")) {
        bool out_of_range = false;
        const auto parsed = parse_journal_object_name(object.name, &out_of_range);
        if (out_of_range)
            warnings.push_back(fmt::format("'{}' on the share is ignored: journal numbers go up to {}", object.name,
                                           max_journal_number));
        if (!parsed) continue;
        auto& journal = out[parsed->client];
        auto& of_kind = parsed->kind == JournalObject::segment ? journal.segments
                        : parsed->kind == JournalObject::base  ? journal.bases
                                                               : journal.reads;
        of_kind[parsed->number] = object;
        journal.newest = std::max(journal.newest, object.modified);
    }
    return out;
}

// Line by line: a line that is not "<client id> <number>" is skipped, the
// others still count.
std::map<std::string, std::int64_t> parse_read_progress(const std::string& text) {
    std::map<std::string, std::int64_t> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        const auto space = line.find(' ');
        if (space == std::string::npos) continue;
        const std::string peer = line.substr(0, space);
        const std::string number = line.substr(space + 1);
        std::int64_t segment = 0;
        const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), segment);
        if (ec != std::errc() || end != number.data() + number.size() || !is_valid_client_id(peer) || segment < 0 ||
            segment > max_journal_number)
            continue;
        out[peer] = segment;
    }
    return out;
}

std::string format_read_progress(const std::map<std::string, std::int64_t>& progress) {
    std::string text;
    for (const auto& [peer, segment] : progress) text += fmt::format("{} {}\n", peer, segment);
    return text;
}

}  // namespace nas_sync
