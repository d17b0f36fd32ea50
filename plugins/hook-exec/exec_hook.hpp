// Hook `exec`: runs a command (a program and its arguments, no shell) on each
// event it takes, with the event's JSON on its standard input, and waits for
// it at most `timeout`. Its output is kept out of nas-sync's own (only its
// last line of standard error is told, in the warning of a failure).
#pragma once

#include <nas_sync/hook.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace nas_sync::exec_hook {

class ExecHook final : public SyncHook {
public:
    ExecHook(std::vector<std::string> command, std::chrono::milliseconds timeout);
    // Throws Error naming the command and what went wrong: not started, a
    // non-zero exit status, a signal, or the timeout.
    void handle(const SyncEvent& event) override;

private:
    std::vector<std::string> command_;
    std::chrono::milliseconds timeout_;
};

// The command as people read it in a message: its words joined, shortened.
std::string shown_command(const std::vector<std::string>& command);
// The last non-empty line of `text`, without its end of line.
std::string last_line(const std::string& text);

}  // namespace nas_sync::exec_hook
