// Plugin objects as the engine uses them: every call forwarded, and every
// exception the plugin throws turned into one the host made. An exception
// object a plugin throws may have its type's code in the plugin's library
// (nas_sync::Error is defined in a header, so each library has its own
// copy), and it must not outlive that library: the engine's callers catch
// errors after the pipeline that loaded the plugin is gone.
#pragma once

#include <memory>

#include "nas_sync/hook.hpp"
#include "nas_sync/resolver.hpp"
#include "nas_sync/transport.hpp"

namespace nas_sync {

std::shared_ptr<Transport> host_side(std::shared_ptr<Transport> plugin_transport);
std::shared_ptr<ConflictResolver> host_side(std::shared_ptr<ConflictResolver> plugin_resolver);
std::shared_ptr<SyncHook> host_side(std::shared_ptr<SyncHook> plugin_hook);

// In a catch block: throws the exception being handled again, as one made here.
[[noreturn]] void rethrow_from_plugin();

}  // namespace nas_sync
