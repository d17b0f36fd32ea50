#include "share/cell_share.hpp"

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <variant>

#include "nats_server.hpp"
#include "samba_server.hpp"
#include "share_folder.hpp"

namespace bench {
namespace fs = std::filesystem;
namespace test = nas_sync::test;

namespace {

test::ShareAccess access_of(ShareKind kind) {
    switch (kind) {
        case ShareKind::fs: return test::ShareAccess::fs;
        case ShareKind::smb: return test::ShareAccess::smb;
        case ShareKind::nats: return test::ShareAccess::nats;
    }
    throw std::logic_error("unknown share kind");
}

// Copies what the client published into `to`, handing each new folder and
// file to smbd's user over SMB (as root, the fresh client works through smbd as that user).
void copy_published(const fs::path& from, const fs::path& to, const std::string& id, ShareKind kind) {
    auto hand_over = [kind](const fs::path& p) {
        if (kind == ShareKind::smb) test::process_samba_server().hand_over(p);
    };
    const fs::path copy = from / ("client-" + id + ".sqlite");
    if (fs::exists(copy)) {
        fs::copy_file(copy, to / copy.filename());
        hand_over(to / copy.filename());
    }
    const fs::path journal = from / "journal" / id;
    fs::create_directories(to / "journal");
    hand_over(to / "journal");
    if (!fs::exists(journal)) return;
    fs::copy(journal, to / "journal" / id, fs::copy_options::recursive);
    hand_over(to / "journal" / id);
    for (const auto& f : fs::recursive_directory_iterator(to / "journal" / id)) hand_over(f.path());
}

}  // namespace

std::optional<ShareKind> share_kind_named(std::string_view name) {
    if (name == "fs") return ShareKind::fs;
    if (name == "smb") return ShareKind::smb;
    if (name == "nats") return ShareKind::nats;
    return std::nullopt;
}

std::string name_of(ShareKind kind) {
    switch (kind) {
        case ShareKind::fs: return "fs";
        case ShareKind::smb: return "smb";
        case ShareKind::nats: return "nats";
    }
    return "?";
}

CellShare::CellShare(ShareKind kind, const fs::path& cell_dir) : kind_(kind) {
    if (kind == ShareKind::nats) {
        bucket_ = test::fresh_bucket("bench");
        return;
    }
    folder_ = std::make_unique<test::ShareFolder>(cell_dir / "nas", access_of(kind));
}

CellShare::~CellShare() = default;

nas_sync::PluginSection CellShare::section() const {
    if (kind_ == ShareKind::nats) return test::nats_section({test::process_nats_server().url()}, bucket_);
    return test::share_transport(folder_->path(), access_of(kind_));
}

const fs::path& CellShare::folder() const {
    static const fs::path none;
    return folder_ ? folder_->path() : none;
}

std::unique_ptr<CellShare> CellShare::copy_of_client(const std::string& id, const fs::path& site) const {
    if (kind_ == ShareKind::nats) return nullptr;
    auto copy = std::make_unique<CellShare>(kind_, site);
    copy_published(folder(), copy->folder(), id, kind_);
    return copy;
}

std::string section_to_json(const nas_sync::PluginSection& section) {
    nlohmann::json options = nlohmann::json::object();
    for (const auto& entry : section.options) {
        const std::string& key = entry.first;  // a named reference: clang 14 cannot capture a structured binding
        std::visit([&options, &key](const auto& value) { options[key] = value; }, entry.second.value);
    }
    return nlohmann::json{{"plugin", section.plugin}, {"key", section.key}, {"options", options}}.dump();
}

nas_sync::PluginSection section_from_json(const std::string& text) {
    const auto j = nlohmann::json::parse(text);
    nas_sync::PluginSection section;
    section.plugin = j.at("plugin").get<std::string>();
    section.key = j.at("key").get<std::string>();
    for (const auto& [key, value] : j.at("options").items()) {
        if (value.is_string()) section.options[key] = nas_sync::RawOption{value.get<std::string>(), {}};
        else if (value.is_array()) section.options[key] = nas_sync::RawOption{value.get<std::vector<std::string>>(), {}};
        else section.options[key] = nas_sync::RawOption{value.get<std::map<std::string, std::string>>(), {}};
    }
    return section;
}

}  // namespace bench
