// Resolver `lww`: last write wins, by version (time, then the deterministic
// tie-break every client computes the same way).
#pragma once

#include <nas_sync/resolver.hpp>

namespace nas_sync::lww {

class LastWriteWins final : public ConflictResolver {
public:
    Resolution resolve(const Conflict& conflict) override;
};

}  // namespace nas_sync::lww
