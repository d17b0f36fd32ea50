// nas_sync/object_name.hpp: the rule every transport applies to object names.
#pragma once

#include <string_view>

#include "nas_sync/error.hpp"

namespace nas_sync {

// The longest object name a transport takes.
inline constexpr std::size_t max_object_name_length = 1024;

// True for names of '/'-separated segments, each of letters, digits, '.', '_',
// '-', none empty, "." or "..": nothing that could leave the store's root.
inline bool is_safe_object_name(std::string_view name) {
    if (name.empty() || name.size() > max_object_name_length) return false;
    std::size_t start = 0;
    while (start <= name.size()) {
        const std::size_t end = std::min(name.find('/', start), name.size());
        const std::string_view segment = name.substr(start, end - start);
        if (segment.empty() || segment == "." || segment == "..") return false;
        for (char c : segment) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                            c == '.' || c == '_' || c == '-';
            if (!ok) return false;
        }
        start = end + 1;
    }
    return true;
}

// Throws Error(refused) for an unsafe name.
inline void require_safe_object_name(std::string_view name) {
    if (!is_safe_object_name(name))
        throw Error(ErrorCode::refused,
                    "object name '" + std::string(name) +
                        "' is refused: use '/'-separated segments of letters, digits, '.', '_', '-' "
                        "(no empty, '.' or '..' segment)");
}

}  // namespace nas_sync
