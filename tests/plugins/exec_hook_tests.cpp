// The `exec` hook's child process runner, built into the test: output kept to
// its tail, input a command never reads, exit statuses and signals, and a
// program that does not exist. Real processes, no shell of ours.
#include <doctest/doctest.h>

#include <csignal>

#include <nas_sync/error.hpp>

#include "child_process.hpp"
#include "exec_hook.hpp"

using namespace nas_sync;
using namespace nas_sync::exec_hook;
using namespace std::chrono_literals;

TEST_CASE("a child's input arrives whole and its output is kept to the last bytes") {
    const auto echoed = run_child({"/bin/cat"}, {}, "hello\n", 10s);
    CHECK_FALSE(echoed.timed_out);
    CHECK(echoed.exit_status == 0);
    CHECK(echoed.out_tail == "hello\n");

    // 100 KB each on stdout and stderr: only the tail is kept, and nothing blocks.
    const auto loud = run_child({"/bin/sh", "-c", "head -c 100000 /dev/zero | tr '\\0' a; head -c 100000 /dev/zero | "
                                                  "tr '\\0' b >&2; echo >&2; echo last words >&2"},
                                {"PATH=/usr/bin:/bin"}, "", 10s);
    CHECK(loud.exit_status == 0);
    CHECK(loud.out_tail.size() == max_kept);
    CHECK(loud.err_tail.size() == max_kept);
    CHECK(last_line(loud.err_tail) == "last words");
}

TEST_CASE("a command that never reads a large input exits without a SIGPIPE here") {
    const std::string big(4 << 20, 'x');  // far more than a socket buffer
    const auto r = run_child({"/bin/true"}, {}, big, 10s);
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_status == 0);  // and this test process is still alive
}

TEST_CASE("exit statuses, signals and a missing program") {
    CHECK(run_child({"/bin/sh", "-c", "exit 7"}, {}, "", 10s).exit_status == 7);
    CHECK(run_child({"/bin/sh", "-c", "kill -TERM $$"}, {}, "", 10s).signal == SIGTERM);
    CHECK(run_child({"sh", "-c", "exit 0"}, {"PATH=/usr/bin:/bin"}, "", 10s).exit_status == 0);  // searched in PATH
    CHECK_THROWS_WITH_AS(run_child({"/no/such/program"}, {}, "", 10s),
                         doctest::Contains("cannot start '/no/such/program'"), Error);
}

TEST_CASE("ExecHook names the command, its status and its last line of standard error") {
    ExecHook hook({"/bin/sh", "-c", "echo one >&2; echo two >&2; exit 4"}, 10s);
    const SyncEvent event{SyncEventKind::complete, "pc1", "/tmp/x.sqlite", "{}", 0};
    CHECK_THROWS_WITH_AS(hook.handle(event),
                         "command '/bin/sh -c 'echo one >&2; echo two >&2; exit 4'' exited with status 4; its last "
                         "line of standard error: two",
                         Error);
    ExecHook fine({"/bin/sh", "-c", "test \"$NAS_SYNC_EVENT $NAS_SYNC_CLIENT_ID\" = 'complete pc1'"}, 10s);
    CHECK_NOTHROW(fine.handle(event));
}
