#include "exec_hook.hpp"

#include <nas_sync/error.hpp>

#include <string.h>

#include "child_process.hpp"

extern char** environ;

namespace nas_sync::exec_hook {

std::string shown_command(const std::vector<std::string>& command) {
    std::string out;
    for (const auto& word : command) {
        if (!out.empty()) out += ' ';
        out += word.find_first_of(" \t'\"") == std::string::npos ? word : "'" + word + "'";
    }
    constexpr std::size_t limit = 200;
    return out.size() > limit ? out.substr(0, limit) + "..." : out;
}

std::string last_line(const std::string& text) {
    auto end = text.find_last_not_of("\r\n \t");
    if (end == std::string::npos) return "";
    const auto start = text.rfind('\n', end);
    return text.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

ExecHook::ExecHook(std::vector<std::string> command, std::chrono::milliseconds timeout)
    : command_(std::move(command)), timeout_(timeout) {}

void ExecHook::handle(const SyncEvent& event) {
    // Its environment is ours plus what the event is, for commands that do not read JSON.
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e)
        if (strncmp(*e, "NAS_SYNC_EVENT=", 15) != 0 && strncmp(*e, "NAS_SYNC_CLIENT_ID=", 19) != 0 &&
            strncmp(*e, "NAS_SYNC_DATABASE=", 18) != 0 && strncmp(*e, "NAS_SYNC_ROWS_CHANGED=", 22) != 0)
            env.emplace_back(*e);
    env.push_back("NAS_SYNC_EVENT=" + std::string(to_string(event.kind)));
    env.push_back("NAS_SYNC_CLIENT_ID=" + std::string(event.client_id));
    env.push_back("NAS_SYNC_DATABASE=" + std::string(event.database));
    env.push_back("NAS_SYNC_ROWS_CHANGED=" + std::to_string(event.rows_changed));

    const std::string shown = shown_command(command_);
    ChildOutcome outcome;
    try {
        outcome = run_child(command_, env, std::string(event.json) + "\n", timeout_);
    } catch (const Error& e) {
        throw Error(e.code(), "command '" + shown + "': " + e.what());
    }
    const std::string err = last_line(outcome.err_tail);
    const std::string said = err.empty() ? "" : "; its last line of standard error: " + err;
    if (outcome.timed_out)
        throw Error(ErrorCode::io, "command '" + shown + "' did not finish within its timeout of " +
                                       std::to_string(timeout_.count()) + " ms; its process group was killed" + said);
    if (outcome.signal != 0)
        throw Error(ErrorCode::io, "command '" + shown + "' was ended by signal " + std::to_string(outcome.signal) +
                                       " (" + strsignal(outcome.signal) + ")" + said);
    if (outcome.exit_status != 0)
        throw Error(ErrorCode::io,
                    "command '" + shown + "' exited with status " + std::to_string(outcome.exit_status) + said);
}

}  // namespace nas_sync::exec_hook
