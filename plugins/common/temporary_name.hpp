// The temporary names of unfinished puts, shared by the transports that write
// files (fs, smb), so that clients reaching one NAS folder through either
// transport recognise and clean up each other's leftovers.
//
// A put writes ".<final name>.<host>.<pid>.<random>.nstmp" beside its target,
// then renames it. A killed writer leaves that file behind: the next put into
// the folder removes it at once when it names a process of this machine that
// no longer runs, and any other once it is older than stale_temporary_age.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace nas_sync::plugin_common {

// No put takes this long, so a temporary file this old was left by a killed one.
inline constexpr std::chrono::hours stale_temporary_age{1};

// A fresh temporary name for a put of `final_filename` (its last segment only).
std::string temporary_name_for(std::string_view final_filename);

// True for names of the form above (never listed by a transport).
bool is_temporary_name(std::string_view filename);

// True for a temporary file a killed put left behind: made by a process of
// this machine that no longer runs, or older (`age`) than any put takes.
bool left_by_killed_put(std::string_view filename, std::chrono::nanoseconds age);

// This machine's name as it appears in temporary names.
std::string host_tag();

}  // namespace nas_sync::plugin_common
