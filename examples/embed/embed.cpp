// A program that embeds nas-sync: it loads a pipeline file, reports each
// conflict as it is decided, runs a few syncs and prints what they did.
//
//     nas-sync-embed-example PIPELINE [ROUNDS]
#include <nas_sync/client.hpp>
#include <nas_sync/error.hpp>

#include <iostream>
#include <string>

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::cerr << "usage: " << argv[0] << " PIPELINE [ROUNDS]\n";
        return 2;
    }
    const int rounds = argc == 3 ? std::stoi(argv[2]) : 1;
    try {
        nas_sync::SyncClient client(nas_sync::load_pipeline_file(argv[1]));
        for (const auto& table : client.synced_tables()) {
            std::cout << "syncing table " << table.name << " (key";
            for (const auto& column : table.key_columns) std::cout << " " << column;
            std::cout << ")\n";
        }
        client.on_conflict([](const nas_sync::ConflictEvent& e) {
            std::cout << "conflict " << e.table << "/" << e.key << " with " << e.peer << ": " << e.resolution
                      << " (" << e.resolver << ")\n";
        });
        client.on_error([](const std::string& message) { std::cerr << "sync failed: " << message << "\n"; });
        for (int i = 0; i < rounds; ++i) {
            const nas_sync::SyncResult r = client.sync_now();
            std::cout << "round " << i + 1 << ": " << r.clients_synced << " peer(s), " << r.inserted << " inserted, "
                      << r.updated << " updated, " << r.deleted << " deleted\n";
            for (const auto& w : r.warnings) std::cout << "warning: " << w << "\n";
        }
        for (const auto& peer : client.status().peers)
            std::cout << "peer " << peer.client << ": " << peer.unread_changes << " unread change(s)\n";
    } catch (const nas_sync::Error& e) {
        std::cerr << e.what() << "\n";
        return e.code() == nas_sync::ErrorCode::config ? 2 : 1;
    }
    return 0;
}
