// Fuzz target: what a stranger can put in a journal's names and read files.
// The input is split at its first newline: an object name, then the text of a
// read-<k>.txt. Every name either parses to a valid client id, a kind and a
// number within max_journal_number, or to nothing; every read file to
// entries of valid client ids and numbers within the bound. Anything else (a
// crash, an exception, an out-of-range number) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/journal/journal_layout.hpp"
#include "nas_sync/pipeline.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    const auto newline = input.find('\n');
    const std::string name = input.substr(0, newline);
    const std::string read_file = newline == std::string::npos ? "" : input.substr(newline + 1);
    using namespace nas_sync;
    bool out_of_range = false;
    if (const auto parsed = parse_journal_object_name(name, &out_of_range)) {
        if (!is_valid_client_id(parsed->client) || parsed->number < 0 || parsed->number > max_journal_number ||
            out_of_range)
            std::abort();
        if (journal_object_name(parsed->client, parsed->kind, parsed->number) != name) std::abort();
    }
    for (const auto& [peer, segment] : parse_read_progress(read_file))
        if (!is_valid_client_id(peer) || segment < 0 || segment > max_journal_number) std::abort();
    return 0;
}
