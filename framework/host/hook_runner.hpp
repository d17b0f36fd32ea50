// The pipeline's hooks as the client calls them: each entry with the events
// it takes (`on:`), called in the pipeline's order. A hook's failure is a
// message for a warning, never an exception: a hook never fails a sync.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nas_sync/hook.hpp"
#include "nas_sync/pipeline.hpp"

namespace nas_sync {

struct HookEntry {
    std::string plugin;
    std::string key;  // "hooks[0]", ...
    std::vector<SyncEventKind> on;
    std::shared_ptr<SyncHook> hook;  // host side (plugin_boundary.hpp)
};

// Conflicts buffered for hooks per sync: a sync that decides millions must
// not hold them all in memory; the rest are counted in a warning.
inline constexpr std::size_t max_hook_conflicts = 1000;

// A section's `on:` as kinds; the default (complete, error) when it is empty.
// Throws ConfigError at `<key>.on` for a name that is not an event.
std::vector<SyncEventKind> hook_events(const PluginSection& section);

class HookRunner {
public:
    HookRunner() = default;
    explicit HookRunner(std::vector<HookEntry> entries) : entries_(std::move(entries)) {}

    const std::vector<HookEntry>& entries() const { return entries_; }
    bool wants(SyncEventKind kind) const;

    // Calls every entry that takes `kind`. Returns one message per entry that
    // failed: "hook 'exec' (hooks[0]) on complete: <its error>".
    std::vector<std::string> dispatch(const SyncEvent& event) const;

private:
    std::vector<HookEntry> entries_;
};

}  // namespace nas_sync
