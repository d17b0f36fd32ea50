// `nas-sync run` as a child process for the CLI suites: its output in files,
// waited on by polling, stopped with SIGTERM, killed if a check fails.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace nas_sync::test {

// `nas-sync --config CONFIG run EXTRA` with its standard output and error in
// files beside CONFIG (a child left running must not hold the test runner's
// pipe open). The systemd variables the test runner may have are not passed
// on; `env` is added to its environment; `journal_stream`: JOURNAL_STREAM
// names its stderr.
class RunningRun {
public:
    RunningRun(const std::filesystem::path& config, const std::vector<std::string>& extra,
               const std::map<std::string, std::string>& env = {}, bool journal_stream = false);
    ~RunningRun();
    RunningRun(const RunningRun&) = delete;
    RunningRun& operator=(const RunningRun&) = delete;

    std::string out() const;
    std::string err() const;
    bool err_has(const std::string& part) const { return err().find(part) != std::string::npos; }
    // The whole lines of stderr so far.
    std::vector<std::string> err_lines() const { return whole_lines(err()); }
    // The lines of `text` that end with a newline (not one still being written).
    static std::vector<std::string> whole_lines(const std::string& text);
    // Waits until `done()` holds (however slow this machine is), at most a minute.
    bool wait_for(const std::function<bool()>& done) const;
    // SIGTERM, then its exit status (128 + signal when a signal ended it).
    int stop();

private:
    std::filesystem::path out_, err_;  // run-N.out, run-N.err: each run its own files
    pid_t pid_ = -1;
    bool reaped_ = false;
};

// How many times `part` occurs in `text`, not overlapping.
std::size_t count_of(const std::string& text, const std::string& part);

}  // namespace nas_sync::test
