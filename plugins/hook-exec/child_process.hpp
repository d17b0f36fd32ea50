// Running a program with a deadline: no shell, its own process group, input
// through a socket written with MSG_NOSIGNAL (a child that exits without
// reading raises no SIGPIPE here), output kept to its last bytes.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace nas_sync::exec_hook {

struct ChildOutcome {
    bool timed_out = false;
    int exit_status = -1;  // when it exited
    int signal = 0;        // when a signal ended it (after a timeout: the one that did)
    std::string out_tail;  // the last max_kept bytes of its standard output
    std::string err_tail;  // ... and of its standard error
};

inline constexpr std::size_t max_kept = 4096;

// Starts argv[0] (searched in PATH when it has no '/') with `env` as its
// environment and `input` on its standard input, and waits for it at most
// `timeout`. Past it, the whole process group gets SIGTERM, then SIGKILL a
// second later, and is reaped. Throws nas_sync::Error(not_found or io) when
// the program cannot be started, naming it.
ChildOutcome run_child(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                       const std::string& input, std::chrono::milliseconds timeout);

}  // namespace nas_sync::exec_hook
