#include "delete_protected_resolver.hpp"

namespace nas_sync::delete_protected {

Resolution DeleteProtected::resolve(const Conflict& conflict) {
    const bool remote_deletes_our_row =
        conflict.remote.kind == RecordState::Kind::deletion && conflict.local.kind == RecordState::Kind::row;
    return remote_deletes_our_row ? Resolution::keep_local : Resolution::pass;
}

}  // namespace nas_sync::delete_protected
