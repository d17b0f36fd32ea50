#pragma once
// 64-bit ids and digests as they are written on the share: 16 lowercase hex
// digits (share ids, owner tokens, instances, table digests).
#include <cstdint>
#include <optional>
#include <string>

#include <fmt/format.h>

namespace nas_sync {

inline std::string hex_id(std::uint64_t v) { return fmt::format("{:016x}", v); }

// Exactly 16 lowercase hex digits, or nothing: text from the share is a stranger's.
inline std::optional<std::uint64_t> parse_hex_id(const std::string& text) {
    if (text.size() != 16 || text.find_first_not_of("0123456789abcdef") != std::string::npos) return std::nullopt;
    return std::stoull(text, nullptr, 16);
}

}  // namespace nas_sync
