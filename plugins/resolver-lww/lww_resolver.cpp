#include "lww_resolver.hpp"

namespace nas_sync::lww {

Resolution LastWriteWins::resolve(const Conflict& conflict) {
    return conflict.remote.version > conflict.local.version ? Resolution::take_remote : Resolution::keep_local;
}

}  // namespace nas_sync::lww
