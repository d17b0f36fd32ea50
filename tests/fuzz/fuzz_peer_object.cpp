// Fuzz target: reading a peer's object. Each input is put on the share as
// client-fuzz.sqlite and a real client syncs with it. Random bytes, torn and
// odd databases must be skipped with a warning or merged, never crash, hang,
// or run anything of theirs. Seed it with real databases (the fixtures).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>

#include <unistd.h>

#include <SQLiteCpp/Database.h>

#include "nas_sync/client.hpp"
#include "nas_sync/error.hpp"

namespace fs = std::filesystem;

namespace {

// Made once per fuzzing process, under TMPDIR (scripts/fuzz.sh removes it).
struct Site {
    fs::path dir;
    std::unique_ptr<nas_sync::SyncClient> client;
};

Site& site() {
    static Site s;
    if (s.client) return s;
    {
        Site& made = s;
        made.dir = fs::temp_directory_path() / ("nas-sync-fuzz-" + std::to_string(::getpid()));
        fs::create_directories(made.dir / "nas");
        {
            SQLite::Database db((made.dir / "local.sqlite").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
            db.exec("CREATE TABLE users(id TEXT PRIMARY KEY, name TEXT, email TEXT, updatedAt TEXT);"
                    "INSERT INTO users VALUES('u1', 'local', 'l@x', '2026-01-01T00:00:00Z');");
        }
        nas_sync::PipelineConfig c;
        c.client_id = "local";
        c.database = made.dir / "local.sqlite";
        c.base_dir = made.dir;
        c.transport.plugin = "fs";
        c.transport.key = "transport";
        c.transport.options["path"] = nas_sync::RawOption{(made.dir / "nas").string(), {}};
        made.client = std::make_unique<nas_sync::SyncClient>(c);
    }
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto& s = site();
    {
        std::ofstream out(s.dir / "nas" / "client-fuzz.sqlite", std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    try {
        s.client->sync_now();
    } catch (const nas_sync::Error&) {
        // a failed sync is reported; the next input goes on
    }
    return 0;
}
