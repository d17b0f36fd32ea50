// Entry point of the `fs` transport plugin.
#include <nas_sync/plugin.hpp>

#include "fs_transport.hpp"

namespace {

const nas_sync::OptionSpec options[] = {
    {"path", nas_sync::OptionType::path, true, "",
     "Folder of the share (a mounted NAS or any local folder); relative to the pipeline file"},
};

std::unique_ptr<nas_sync::Transport> make(const nas_sync::PluginOptions& o) {
    return std::make_unique<nas_sync::fs_transport::FsTransport>(o.string("path"));
}

}  // namespace

NAS_SYNC_PLUGIN((nas_sync::PluginDescriptor{
    .kind = nas_sync::PluginKind::transport,
    .name = "fs",
    .version = "1.0.0",
    .description = "A mounted NAS or any local folder; atomic puts by write, flush, rename",
    .options = options,
    .make_transport = make,
}))
