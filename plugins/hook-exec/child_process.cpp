#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nas_sync/error.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

namespace nas_sync::exec_hook {
namespace {

using Clock = std::chrono::steady_clock;

// A file descriptor closed on scope exit.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

[[noreturn]] void fail(const std::string& what) {
    throw Error(ErrorCode::io, what + ": " + std::strerror(errno));
}

void keep_tail(std::string& kept, const char* data, std::size_t size) {
    kept.append(data, size);
    if (kept.size() > max_kept) kept.erase(0, kept.size() - max_kept);
}

// Reads what is there without waiting; false at end of file or on an error.
bool drain(int fd, std::string& kept) {
    char buffer[4096];
    while (true) {
        const auto n = ::read(fd, buffer, sizeof buffer);
        if (n > 0) {
            keep_tail(kept, buffer, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
        return false;
    }
}

// The attributes that make the child its own: a process group of its own (a
// timeout kills all it started), no signal blocked (the CLI blocks SIGINT and
// SIGTERM in its threads) and default handlers for the signals a shell needs.
struct SpawnSetup {
    posix_spawnattr_t attr{};
    posix_spawn_file_actions_t actions{};
    SpawnSetup(int in, int out, int err) {
        posix_spawnattr_init(&attr);
        posix_spawn_file_actions_init(&actions);
        sigset_t none;
        sigemptyset(&none);
        sigset_t defaults;
        sigemptyset(&defaults);
        for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&defaults, s);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        posix_spawnattr_setpgroup(&attr, 0);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &defaults);
        posix_spawn_file_actions_adddup2(&actions, in, 0);
        posix_spawn_file_actions_adddup2(&actions, out, 1);
        posix_spawn_file_actions_adddup2(&actions, err, 2);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// Waits up to `limit` for the child; true once it is reaped.
bool reap_within(pid_t pid, std::chrono::milliseconds limit, int& status) {
    const auto until = Clock::now() + limit;
    while (true) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) return true;
        if (done < 0 && errno != EINTR) return true;  // not ours to wait for any more: nothing left to reap
        if (Clock::now() >= until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

}  // namespace

ChildOutcome run_child(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                       const std::string& input, std::chrono::milliseconds timeout) {
    int in_pair[2], out_pipe[2], err_pipe[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0) fail("socketpair");
    Fd in_ours(in_pair[0]), in_child(in_pair[1]);
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) fail("pipe");
    Fd out_ours(out_pipe[0]), out_child(out_pipe[1]);
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) fail("pipe");
    Fd err_ours(err_pipe[0]), err_child(err_pipe[1]);
    for (int fd : {in_ours.get(), out_ours.get(), err_ours.get()}) ::fcntl(fd, F_SETFL, O_NONBLOCK);

    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    pid_t pid = -1;
    {
        const SpawnSetup setup(in_child.get(), out_child.get(), err_child.get());
        const int rc = ::posix_spawnp(&pid, args[0], &setup.actions, &setup.attr, args.data(), envp.data());
        if (rc != 0)
            throw Error(rc == ENOENT ? ErrorCode::not_found : ErrorCode::io,
                        "cannot start '" + argv[0] + "': " + std::strerror(rc));
    }
    in_child.reset();
    out_child.reset();
    err_child.reset();

    ChildOutcome outcome;
    std::size_t sent = 0;
    bool out_open = true, err_open = true;
    int status = 0;
    bool reaped = false;
    const auto deadline = Clock::now() + timeout;
    while (!reaped) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            outcome.timed_out = true;
            break;
        }
        pollfd fds[3];
        nfds_t n = 0;
        if (in_ours.get() >= 0) fds[n++] = {in_ours.get(), POLLOUT, 0};
        if (out_open) fds[n++] = {out_ours.get(), POLLIN, 0};
        if (err_open) fds[n++] = {err_ours.get(), POLLIN, 0};
        // A short wait: the child's exit is seen by waitpid below, not by poll.
        ::poll(fds, n, static_cast<int>(std::min<std::int64_t>(left.count(), 20)));
        if (in_ours.get() >= 0) {
            while (sent < input.size()) {
                const auto w = ::send(in_ours.get(), input.data() + sent, input.size() - sent, MSG_NOSIGNAL);
                if (w > 0) {
                    sent += static_cast<std::size_t>(w);
                    continue;
                }
                if (w < 0 && errno == EINTR) continue;
                if (w < 0 && errno == EAGAIN) break;
                sent = input.size();  // EPIPE and the like: the command does not read its input, which is its choice
            }
            if (sent == input.size()) in_ours.reset();  // end of its input
        }
        if (out_open) out_open = drain(out_ours.get(), outcome.out_tail);
        if (err_open) err_open = drain(err_ours.get(), outcome.err_tail);
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done < 0 && errno == ECHILD)  // SIGCHLD ignored in this process: children reap themselves
            throw Error(ErrorCode::internal, "cannot wait for '" + argv[0] + "': SIGCHLD is ignored in this process");
        reaped = done == pid;
    }
    if (outcome.timed_out) {
        ::kill(-pid, SIGTERM);
        if (!reap_within(pid, std::chrono::seconds(1), status)) {
            ::kill(-pid, SIGKILL);
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
        }
        ::kill(-pid, SIGKILL);  // what it started and left behind goes with it
    }
    // What the child wrote before it ended (a process it left running may
    // hold the pipes open: never wait for their end).
    if (out_open) drain(out_ours.get(), outcome.out_tail);
    if (err_open) drain(err_ours.get(), outcome.err_tail);
    if (WIFEXITED(status)) outcome.exit_status = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
    return outcome;
}

}  // namespace nas_sync::exec_hook
