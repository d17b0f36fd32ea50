#include "temporary_name.hpp"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <random>
#include <vector>

namespace nas_sync::plugin_common {

namespace {

constexpr std::string_view temp_suffix = ".nstmp";

std::string random_hex() {
    static thread_local std::mt19937_64 rng(std::random_device{}() ^
                                            static_cast<std::uint64_t>(::getpid()) << 32);
    char out[17];
    std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(rng()));
    return out;
}

}  // namespace

std::string host_tag() {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    std::string out;
    for (const char* p = name; *p; ++p)
        out += (std::isalnum(static_cast<unsigned char>(*p)) || *p == '-') ? *p : '_';
    return out.empty() ? "host" : out;
}

std::string temporary_name_for(std::string_view final_filename) {
    return "." + std::string(final_filename) + "." + host_tag() + "." + std::to_string(::getpid()) + "." +
           random_hex() + std::string(temp_suffix);
}

bool is_temporary_name(std::string_view filename) {
    return filename.size() > temp_suffix.size() + 1 && filename.front() == '.' && filename.ends_with(temp_suffix);
}

namespace {

// Whether the temporary name was made by a process of this machine that no
// longer runs: it can be removed whatever its age.
bool abandoned_by_dead_local_process(std::string_view temporary_name) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (std::size_t dot; (dot = temporary_name.find('.', start)) != std::string_view::npos; start = dot + 1)
        parts.push_back(temporary_name.substr(start, dot - start));
    parts.push_back(temporary_name.substr(start));
    if (parts.size() < 5 || parts[parts.size() - 4] != host_tag()) return false;
    try {
        const pid_t pid = static_cast<pid_t>(std::stol(std::string(parts[parts.size() - 3])));
        return pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH;
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace

bool left_by_killed_put(std::string_view filename, std::chrono::nanoseconds age) {
    return is_temporary_name(filename) && (age > stale_temporary_age || abandoned_by_dead_local_process(filename));
}

}  // namespace nas_sync::plugin_common
