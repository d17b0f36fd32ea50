// A plugin built for another plugin API version: the host must refuse it
// without reading its descriptor.
#include <boost/dll/alias.hpp>

#include <cstdint>

namespace wrong_api {
std::uint32_t api_version() { return 999; }
const void* descriptor() { return nullptr; }
}  // namespace wrong_api

BOOST_DLL_ALIAS(wrong_api::api_version, nas_sync_plugin_api_version)
BOOST_DLL_ALIAS(wrong_api::descriptor, nas_sync_plugin_descriptor)
