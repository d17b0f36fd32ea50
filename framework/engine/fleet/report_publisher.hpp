// Puts our digest report (digest_report.hpp) at the end of a sync, when what
// it says differs from the report we put last: after a sync that read or
// published something, or changed our rows. An idle sync puts nothing.
#pragma once

#include <string>

#include "engine/exchange/sync_context.hpp"
#include "engine/peer/work_folder.hpp"
#include "nas_sync/sync_result.hpp"

namespace nas_sync {

// `exchange`: "snapshot" or "journal". A failed put is a warning in the
// result, never a failed sync: the report is for people, not for peers.
void publish_digest_report(SyncContext& ctx, const std::string& exchange, const WorkFolder& work, SyncResult& result);

}  // namespace nas_sync
