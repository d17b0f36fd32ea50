#include "running_run.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "test_support.hpp"

namespace nas_sync::test {
namespace fs = std::filesystem;

namespace {

// Variables systemd may have given the test runner itself: a child sees only the ones a test sets.
const char* const service_variables[] = {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"};

int next_run_number() {
    static int runs = 0;
    return ++runs;
}

}  // namespace

RunningRun::RunningRun(const fs::path& config, const std::vector<std::string>& extra,
                       const std::map<std::string, std::string>& env, bool journal_stream) {
    const std::string name = "run-" + std::to_string(next_run_number());
    out_ = config.parent_path() / (name + ".out");
    err_ = config.parent_path() / (name + ".err");
    // Made before the child starts: a wait on them never reads an earlier run's output.
    write_file(out_, "");
    write_file(err_, "");
    std::vector<std::string> argv{nas_sync_binary().string(), "--config", config.string(), "run"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    pid_ = fork();
    if (pid_ == 0) {
        signal(SIGTERM, SIG_DFL);  // not the test runner's handler, before exec
        dup2(::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), 1);
        dup2(::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), 2);
        for (const char* variable : service_variables) unsetenv(variable);
        for (const auto& [variable, value] : env) setenv(variable.c_str(), value.c_str(), 1);
        if (journal_stream) {
            struct stat st {};
            fstat(2, &st);
            setenv("JOURNAL_STREAM", (std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)).c_str(), 1);
        }
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
}

RunningRun::~RunningRun() {
    if (reaped_) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
}

std::string RunningRun::out() const { return read_file(out_); }
std::string RunningRun::err() const { return read_file(err_); }

std::vector<std::string> RunningRun::whole_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line) && !in.eof();) lines.push_back(line);
    return lines;
}

bool RunningRun::wait_for(const std::function<bool()>& done) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return done();
}

int RunningRun::stop() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::size_t count_of(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
    return n;
}

}  // namespace nas_sync::test
