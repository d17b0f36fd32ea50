// `nas-sync verify`: reads every client's digest report (digest_report.hpp)
// and the claims on client ids (share_guard.hpp) from the share, and says
// whether the reporting clients hold the same rows. Clients are grouped by
// their tables' digests; each client outside the largest group is a
// difference, "behind" when someone of the two has not read someone's latest
// (in the numbers each reader records: journal segments, or change-log ids
// of snapshot copies), a divergence otherwise. Reads only; changes nothing.
#pragma once

#include "nas_sync/sync_result.hpp"
#include "nas_sync/transport.hpp"

namespace nas_sync {

FleetVerification verify_fleet(Transport& transport);

}  // namespace nas_sync
