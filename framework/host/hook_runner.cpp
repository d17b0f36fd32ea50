#include "host/hook_runner.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace nas_sync {

std::vector<SyncEventKind> hook_events(const PluginSection& section) {
    static constexpr SyncEventKind all[] = {SyncEventKind::start, SyncEventKind::complete, SyncEventKind::error,
                                            SyncEventKind::conflict};
    std::vector<SyncEventKind> kinds;
    if (section.on.empty()) return {SyncEventKind::complete, SyncEventKind::error};
    for (const auto& name : section.on) {
        const auto* found =
            std::find_if(std::begin(all), std::end(all), [&](SyncEventKind k) { return to_string(k) == name; });
        if (found == std::end(all))
            throw ConfigError(section.location, section.key + ".on",
                              fmt::format("key '{}.on': '{}' is not an event; valid: {}", section.key, name,
                                          fmt::join(hook_event_names, ", ")));
        kinds.push_back(*found);
    }
    return kinds;
}

bool HookRunner::wants(SyncEventKind kind) const {
    return std::any_of(entries_.begin(), entries_.end(), [&](const HookEntry& e) {
        return std::find(e.on.begin(), e.on.end(), kind) != e.on.end();
    });
}

std::vector<std::string> HookRunner::dispatch(const SyncEvent& event) const {
    std::vector<std::string> failures;
    for (const auto& entry : entries_) {
        if (std::find(entry.on.begin(), entry.on.end(), event.kind) == entry.on.end()) continue;
        try {
            entry.hook->handle(event);
        } catch (const std::exception& e) {  // host side: every plugin exception arrives as an Error made here
            failures.push_back(
                fmt::format("hook '{}' ({}) on {}: {}", entry.plugin, entry.key, to_string(event.kind), e.what()));
        }
    }
    return failures;
}

}  // namespace nas_sync
