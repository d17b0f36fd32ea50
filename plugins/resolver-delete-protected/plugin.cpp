// Entry point of the `delete-protected` resolver plugin.
#include <nas_sync/plugin.hpp>

#include "delete_protected_resolver.hpp"

namespace {

std::unique_ptr<nas_sync::ConflictResolver> make(const nas_sync::PluginOptions&) {
    return std::make_unique<nas_sync::delete_protected::DeleteProtected>();
}

}  // namespace

NAS_SYNC_PLUGIN((nas_sync::PluginDescriptor{
    .kind = nas_sync::PluginKind::resolver,
    .name = "delete-protected",
    .version = "1.0.0",
    .description = "A peer's delete never removes a local row (limit it with tables:); other changes pass on",
    .options = {},
    .make_resolver = make,
}))
