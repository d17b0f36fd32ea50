// Entry point of the `exec` hook plugin.
#include <nas_sync/plugin.hpp>

#include "exec_hook.hpp"

namespace {

const nas_sync::OptionSpec options[] = {
    {"command", nas_sync::OptionType::string_list, true, "",
     "The program and its arguments, run without a shell; the event's JSON on its standard input"},
    {"timeout", nas_sync::OptionType::duration, false, "30s",
     "Longest a run may take; then its process group is killed and the hook fails (a warning)"},
};

std::unique_ptr<nas_sync::SyncHook> make(const nas_sync::PluginOptions& o) {
    const auto& command = o.list("command");
    if (command.empty() || command.front().empty())
        throw nas_sync::OptionError("command", "write the program and its arguments, like [/usr/local/bin/notify, --sync]");
    if (o.duration("timeout").count() <= 0) throw nas_sync::OptionError("timeout", "write a positive duration, like 30s");
    return std::make_unique<nas_sync::exec_hook::ExecHook>(command, o.duration("timeout"));
}

}  // namespace

NAS_SYNC_PLUGIN((nas_sync::PluginDescriptor{
    .kind = nas_sync::PluginKind::hook,
    .name = "exec",
    .version = "1.0.0",
    .description = "Runs a command (no shell) on sync events with the event as JSON on its standard input",
    .options = options,
    .make_hook = make,
}))
