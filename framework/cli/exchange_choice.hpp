// Which exchange `nas-sync init` writes, from what is on the share: `journal`
// (the layout that costs what changed) unless clients that read only the
// snapshot layout are there (docs/configuration.md, "Choosing an exchange").
#pragma once

#include <string>

#include "nas_sync/transport.hpp"

namespace nas_sync::cli {

struct ExchangeChoice {
    std::string yaml;  // the `exchange:` line (and `journal:` section), each with a comment saying why
    std::string exchange;
};

// `forced`: "snapshot" or "journal" from --exchange, "" to decide from the share.
ExchangeChoice choose_exchange(Transport& share, const std::string& client_id, const std::string& forced);

}  // namespace nas_sync::cli
