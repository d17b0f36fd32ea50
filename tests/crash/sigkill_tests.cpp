// nas-sync processes killed with SIGKILL at random moments of publishing and
// pulling, while the applications keep writing: every local database stays
// valid, no torn object is ever accepted from the share, leftovers are cleaned
// up by the next run, and in the end every application write is everywhere.
#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <thread>

#include "engine/peer/peer_database.hpp"
#include "nas_sync/error.hpp"
#include "share_folder.hpp"
#include "test_support.hpp"

using namespace nas_sync;
using namespace nas_sync::test;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> clients{"kill-A", "kill-B", "kill-C"};

pid_t start_sync(const fs::path& pipeline) {
    const pid_t pid = fork();
    if (pid == 0) {
        const int null = ::open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(NAS_SYNC_BINARY_FOR_TESTS, NAS_SYNC_BINARY_FOR_TESTS, "--config", pipeline.c_str(), "sync", nullptr);
        _exit(127);
    }
    return pid;
}

// Opened as the application would (read-write): after a kill, the first
// connection may have to recover the WAL, which a read-only one cannot.
std::string integrity(const fs::path& db_file) {
    SQLite::Database db(db_file.string(), SQLite::OPEN_READWRITE);
    db.setBusyTimeout(5000);
    return db.execAndGet("PRAGMA integrity_check").getString();
}

// An object on the share is either refused by a reader or a whole, valid database.
void check_share_objects(const fs::path& share) {
    for (const auto& entry : fs::recursive_directory_iterator(share)) {
        const std::string name = entry.path().filename().string();
        if (!entry.is_regular_file() || !name.ends_with(".sqlite")) continue;
        TempDir copy;
        fs::copy_file(entry.path(), copy / "peer.sqlite");
        try {
            const PeerDatabase snapshot(copy / "peer.sqlite");  // accepted by a reader...
            CHECK_MESSAGE(integrity(copy / "peer.sqlite") == "ok", name);  // ...so it must be whole
        } catch (const Error& e) {
            FAIL_CHECK(name << " on the share is refused by readers: " << e.what());
        }
    }
}

}  // namespace

namespace {

void kill_syncs_at_random(const std::string& exchange) {
    TempDir dir;
    const ShareFolder share(dir / "nas");  // or a folder of smbd's (NAS_SYNC_TEST_SHARE=smb)
    for (const auto& id : clients) {
        create_database(dir / (id + ".sqlite"), "CREATE TABLE notes(id TEXT PRIMARY KEY, body TEXT, updatedAt TEXT);");
        write_file(dir / (id + ".yaml"), fmt::format("version: 1\nclient_id: {}\ndatabase: {}.sqlite\n"
                                                     "transport: {}\nexchange: {}\n"
                                                     "{}", id, id, share_transport_yaml(share.path(), share.access()),
                                                     exchange,
                                                     exchange == "journal" ? "journal: {base_every: 3}\n" : ""));
    }

    std::atomic<bool> stop{false};
    std::atomic<int> write_errors{0};
    std::vector<std::atomic<int>> written(clients.size());
    std::vector<std::thread> writers;
    for (std::size_t c = 0; c < clients.size(); ++c)
        writers.emplace_back([&, c] {
            SQLite::Database db((dir / (clients[c] + ".sqlite")).string(), SQLite::OPEN_READWRITE);
            db.setBusyTimeout(10000);
            for (int n = 0; !stop.load(); ++n) {
                try {
                    db.exec(fmt::format("INSERT INTO notes VALUES('{}-{}', 'x', strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
                                        clients[c], n));
                    ++written[c];
                } catch (const std::exception&) {
                    ++write_errors;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(3));
            }
        });

    std::mt19937 rng(20261126);
    int killed = 0;
    for (int round = 0; round < 40; ++round) {
        const auto& id = clients[rng() % clients.size()];
        const pid_t pid = start_sync(dir / (id + ".yaml"));
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 40000));
        if (kill(pid, SIGKILL) == 0) ++killed;
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK_MESSAGE(integrity(dir / (id + ".sqlite")) == "ok", "after killing a sync of " << id);
        check_share_objects(share.path());
    }
    stop = true;
    for (auto& w : writers) w.join();
    CHECK(write_errors.load() == 0);
    CHECK(killed > 10);

    // The next runs finish the job and clean up after the killed ones.
    for (int round = 0; round < 3; ++round)
        for (const auto& id : clients) {
            const auto r = run_nas_sync({"--config", (dir / (id + ".yaml")).string(), "sync"});
            CHECK_MESSAGE(r.status == 0, r.err);
        }
    for (const auto& id : clients) {
        SQLite::Database db((dir / (id + ".sqlite")).string(), SQLite::OPEN_READONLY);
        for (std::size_t c = 0; c < clients.size(); ++c) {
            SQLite::Statement s(db, "SELECT count(*) FROM notes WHERE id LIKE ?");
            s.bind(1, clients[c] + "-%");
            s.executeStep();
            CHECK_MESSAGE(s.getColumn(0).getInt() == written[c].load(), id << " has every write of " << clients[c]);
        }
    }
    for (const auto& entry : fs::recursive_directory_iterator(share.path()))
        CHECK_MESSAGE(!entry.path().filename().string().ends_with(".nstmp"), "left on the share: " << entry.path());
    for (const auto& entry : fs::directory_iterator(fs::temp_directory_path()))
        CHECK_MESSAGE(!entry.path().filename().string().starts_with("nas-sync-kill-"), "left behind: " << entry.path());
}

}  // namespace

TEST_CASE("SIGKILL at random moments of a snapshot sync loses nothing and leaves nothing behind") {
    kill_syncs_at_random("snapshot");
}

TEST_CASE("SIGKILL at random moments of a journal sync loses nothing and leaves nothing behind") {
    kill_syncs_at_random("journal");
}
