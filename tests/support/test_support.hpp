// Helpers shared by the test suites: temporary folders, running the real
// nas-sync binary, and small SQLite conveniences.
#pragma once

#include <SQLiteCpp/Database.h>

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace nas_sync::test {

// A fresh folder under the system temp folder, removed on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

struct ProcessResult {
    int status = -1;  // exit status, or 128 + signal
    std::string out;
    std::string err;
};

// Runs a program and waits for it. `env` entries are added to (or replace)
// the environment; an empty value removes the variable.
ProcessResult run_process(const std::vector<std::string>& argv, const std::filesystem::path& cwd = {},
                          const std::map<std::string, std::string>& env = {});

// Starts a program without waiting for it: its standard input is a pipe
// whose write end is returned in `input` (close-on-exec, so other children
// do not hold it), its standard output and error are appended to `log`. The
// caller writes, closes `input` and reaps the pid.
pid_t start_process(const std::vector<std::string>& argv, const std::filesystem::path& log, int& input);

// The nas-sync binary of this build, and running it.
std::filesystem::path nas_sync_binary();
ProcessResult run_nas_sync(const std::vector<std::string>& args, const std::filesystem::path& cwd = {},
                           const std::map<std::string, std::string>& env = {});

std::string read_file(const std::filesystem::path& file);
void write_file(const std::filesystem::path& file, const std::string& text);

// The folder of this build's plugins, and of the deliberately broken ones.
std::filesystem::path build_plugin_dir();
std::filesystem::path test_plugin_dir(const std::string& name);
std::filesystem::path source_dir();
std::filesystem::path fixtures_dir();         // tests/fixtures/original (made by running the original)
std::filesystem::path test_fixtures_dir();    // tests/fixtures

// Creates a database file with the given SQL.
void create_database(const std::filesystem::path& file, const std::string& sql);

// The integer a query returns (a count, most often), read from a database file.
std::int64_t count(const std::filesystem::path& db_file, const std::string& sql);

// Whether one of the warnings contains `text`.
bool has_warning(const std::vector<std::string>& warnings, const std::string& text);

}  // namespace nas_sync::test
