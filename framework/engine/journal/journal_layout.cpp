#include "engine/journal/journal_layout.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
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
    // "journal/<client>/seg-<12 digits>.sqlite", "base-….sqlite" or "read-….txt";
    // read for every name of every listing, so by hand rather than with std::regex.
    if (out_of_range) *out_of_range = false;
    constexpr std::string_view root = "journal/";
    if (!name.starts_with(root)) return std::nullopt;
    const auto slash = name.find('/', root.size());
    if (slash == std::string::npos) return std::nullopt;
    const std::string client = name.substr(root.size(), slash - root.size());
    const std::string_view file = std::string_view(name).substr(slash + 1);
    struct Form {
        std::string_view head, tail;
        JournalObject kind;
    };
    static constexpr Form forms[] = {{"seg-", ".sqlite", JournalObject::segment},
                                     {"base-", ".sqlite", JournalObject::base},
                                     {"read-", ".txt", JournalObject::read}};
    constexpr std::size_t digits = 12;
    for (const auto& form : forms) {
        if (file.size() != form.head.size() + digits + form.tail.size() || !file.starts_with(form.head) ||
            !file.ends_with(form.tail))
            continue;
        const std::string_view number = file.substr(form.head.size(), digits);
        if (!std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
            !is_valid_client_id(client))
            return std::nullopt;
        std::int64_t n = 0;
        std::from_chars(number.data(), number.data() + number.size(), n);
        if (n > max_journal_number) {
            if (out_of_range) *out_of_range = true;
            return std::nullopt;
        }
        return JournalObjectName{client, form.kind, n};
    }
    return std::nullopt;
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
