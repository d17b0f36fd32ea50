// Resolver `delete-protected`: a peer's delete never removes a local row.
// Limit it to tables with `tables:` in the pipeline. This is the one
// deliberate exception to convergence: the protected row stays here.
#pragma once

#include <nas_sync/resolver.hpp>

namespace nas_sync::delete_protected {

class DeleteProtected final : public ConflictResolver {
public:
    Resolution resolve(const Conflict& conflict) override;
};

}  // namespace nas_sync::delete_protected
