// Entry point of the `lww` resolver plugin.
#include <nas_sync/plugin.hpp>

#include "lww_resolver.hpp"

namespace {

std::unique_ptr<nas_sync::ConflictResolver> make(const nas_sync::PluginOptions&) {
    return std::make_unique<nas_sync::lww::LastWriteWins>();
}

}  // namespace

NAS_SYNC_PLUGIN((nas_sync::PluginDescriptor{
    .kind = nas_sync::PluginKind::resolver,
    .name = "lww",
    .version = "1.0.0",
    .description = "Last write wins: the state with the higher version (time, then a deterministic tie-break)",
    .options = {},
    .make_resolver = make,
}))
