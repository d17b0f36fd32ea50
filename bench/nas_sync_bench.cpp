// nas-sync-bench: what a sync costs as the database grows and as changes grow.
//
// For each schema (--schema: two-table, ~250-byte rows with UUID keys in two
// tables; prisma, the tables of a Prisma schema, bench/workloads/), transport
// (--transport: fs, or smb and nats through servers it starts on loopback,
// bench/share/), database size N (records), fleet size M and change count K,
// it builds M clients that are in sync, then runs rounds in which client 0
// changes K rows and every client syncs once.
// It prints the median sync time, the bytes moved and the transport calls
// made per sync, and for each N the
// rows/s and peak memory of a first-contact full merge (in a child process;
// the median of --first-contacts of them, as one alone varies by 15-25 % on a
// shared machine).
// Each cell and each first contact starts once the disk has written what the
// ones before left dirty (sync(2)), so that it pays only for its own writes.
// `--exchange original --original DIR` runs the same matrix with clients of
// the original npm package installed in DIR (bench/original/).
//
//   nas-sync-bench --rows 10000,100000 --clients 5,50 --changes 0,100,10000
//                  --exchange snapshot,journal [--transport fs,smb,nats] [--schema two-table,prisma] [--rounds 5] [--save out.json] [--baseline old.json]
//                  [--first-contacts 3] [--keep] [--build-jobs J]
#include <CLI/CLI.hpp>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "nas_sync/client.hpp"
#include "original/original_client.hpp"
#include "share/cell_share.hpp"
#include "share/counting_transport.hpp"
#include "workloads/workload.hpp"

extern char** environ;

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// The application writing to client 1's database while the fleet syncs: the
// longest any single write waited for the write lock (BEGIN IMMEDIATE), and
// apart from that the longest its own commit took.
class WriterProbe {
public:
    explicit WriterProbe(const fs::path& db_file) : thread_([this, db_file] {
        SQLite::Database db(db_file.string(), SQLite::OPEN_READWRITE);
        db.setBusyTimeout(60000);
        // WAL with synchronous=NORMAL, as applications on WAL usually run: no
        // fsync per commit, so what is measured is the wait for the write lock.
        db.exec("PRAGMA synchronous = NORMAL");
        while (!stop_.load()) {
            const auto start = Clock::now();
            db.exec("BEGIN IMMEDIATE");
            const auto locked = Clock::now();
            db.exec("INSERT INTO _bench_writes(at) VALUES (datetime('now'))");
            db.exec("COMMIT");
            raise(max_wait_ms_, start, locked);
            raise(max_commit_ms_, locked, Clock::now());
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }) {}
    ~WriterProbe() {
        stop_ = true;
        thread_.join();
    }
    double max_wait_ms() const { return max_wait_ms_.load(); }
    double max_commit_ms() const { return max_commit_ms_.load(); }

private:
    static void raise(std::atomic<double>& max, Clock::time_point from, Clock::time_point to) {
        max = std::max(max.load(), std::chrono::duration<double, std::milli>(to - from).count());
    }
    std::atomic<bool> stop_{false};
    std::atomic<double> max_wait_ms_{0}, max_commit_ms_{0};
    std::thread thread_;
};

// The template every client of a fleet starts from.
void make_template(const fs::path& file, bench::Workload& workload, int rows) {
    SQLite::Database db(file.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(workload.schema_sql());
    workload.fill(db, rows);
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

nas_sync::PipelineConfig pipeline(const fs::path& dir, const std::string& id, const std::string& exchange,
                                  const bench::Workload& workload, nas_sync::PluginSection transport) {
    nas_sync::PipelineConfig c;
    c.discovery = workload.discovery();
    c.client_id = id;
    c.database = dir / (id + ".sqlite");
    c.base_dir = dir;
    c.transport = std::move(transport);
    c.exchange = exchange == "journal" ? nas_sync::ExchangeLayout::journal : nas_sync::ExchangeLayout::snapshot;
    return c;
}

// One client of a cell's fleet, as a cell drives it: one sync, its time, the
// bytes it moved over the share and the transport calls it made.
struct Measured {
    double ms = 0;
    std::uint64_t bytes = 0;
    bench::TransportCalls calls;
};
using FleetClient = std::function<Measured()>;

FleetClient engine_client(const fs::path& dir, const std::string& id, const std::string& exchange,
                          const bench::Workload& workload, const bench::CellShare& share) {
    auto calls = std::make_shared<bench::TransportCalls>();
    auto client = std::make_shared<nas_sync::SyncClient>(
        pipeline(dir, id, exchange, workload, share.section()),
        [calls](std::shared_ptr<nas_sync::Transport> t) { return std::make_shared<bench::CountingTransport>(t, calls); });
    return [client, calls] {
        const auto before = *calls;
        const auto start = Clock::now();
        const auto r = client->sync_now();
        return Measured{std::chrono::duration<double, std::milli>(Clock::now() - start).count(),
                        r.bytes_published + r.bytes_fetched, *calls - before};
    };
}

// The original publishes its whole copy and reads every peer's whole copy at
// every sync (docs/original-format.md): what it moves is counted from those files' sizes.
FleetClient original_client(const fs::path& package, const fs::path& dir, const fs::path& share, const std::string& id) {
    auto client = std::make_shared<bench::OriginalClient>(package, dir / (id + ".sqlite"), share, id);
    return [client, share, own = "client-" + id + ".sqlite"] {
        std::uint64_t bytes = 0;
        for (const auto& f : fs::directory_iterator(share))
            if (f.path().filename() != own && f.path().extension() == ".sqlite") bytes += f.file_size();
        const auto r = client->sync();
        std::error_code ec;
        const auto published = fs::file_size(share / own, ec);
        return Measured{r.ms, bytes + (ec ? 0 : published)};
    };
}

// One sync of every client of the fleet, `jobs` of them at a time (each client
// syncs in one thread only). Building a fleet is first contacts, M(M-1) of
// them: at N=100k and M=50, over half an hour one at a time. The syncs of one
// round read what the rounds before published, so two rounds leave everyone
// having read everyone's rows, whatever the order within a round.
void sync_all_at_once(std::vector<FleetClient>& fleet, int jobs) {
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::string failure;
    std::mutex failure_lock;
    auto work = [&] {
        for (std::size_t i = next++; i < fleet.size() && !failed; i = next++) {
            try {
                fleet[i]();
            } catch (const std::exception& e) {
                const std::lock_guard lock(failure_lock);
                if (!failed.exchange(true)) failure = e.what();
            }
        }
    };
    {
        std::vector<std::jthread> threads;  // joined when the block ends, also when starting one throws
        for (int j = 1; j < jobs; ++j) threads.emplace_back(work);
        work();
    }
    if (failed) throw std::runtime_error("building the fleet: " + failure);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

struct FullMerge {
    double seconds = 0;
    std::int64_t rows = 0;  // rows applied (a journal's base, then its segments)
    long peak_rss_kb = 0;
    long peak_heap_kb = 0;
};

// A field of /proc/self/status in KiB ("VmHWM", "RssAnon"); 0 when absent.
long status_kb(const std::string& field) {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
    return 0;
}

// The highest anonymous memory (RssAnon: malloc's heap and its large blocks,
// SQLite's page cache) seen while it lives, sampled every 2 ms. VmHWM also
// counts the pages of our database read through its memory map, which are the
// file's, not the merge's: this is what the byte bounds of a merge bound.
class HeapPeakSampler {
public:
    HeapPeakSampler()
        : thread_([this] {
              while (!stop_) {
                  peak_ = std::max(peak_.load(), status_kb("RssAnon"));
                  std::this_thread::sleep_for(std::chrono::milliseconds(2));
              }
          }) {}
    ~HeapPeakSampler() { stop(); }
    HeapPeakSampler(const HeapPeakSampler&) = delete;
    HeapPeakSampler& operator=(const HeapPeakSampler&) = delete;
    long stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        return std::max(peak_.load(), status_kb("RssAnon"));
    }

private:
    std::atomic<bool> stop_{false};
    std::atomic<long> peak_{0};
    std::thread thread_;
};

// In a fresh process (this program run again), so that the peak memory
// measured is the merge's own: a new client's first sync, printing
// "<seconds> <rows applied> <peak RSS KiB> <peak heap KiB>".
int full_merge_child(const fs::path& site, const std::string& exchange, const std::string& schema,
                     const std::string& transport) {
    HeapPeakSampler heap;
    nas_sync::SyncClient client(
        pipeline(site, "fresh", exchange, *bench::make_workload(schema), bench::section_from_json(transport)));
    const auto start = Clock::now();
    const auto r = client.sync_now();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const long heap_kb = heap.stop();
    // The peak of this process alone (a spawned child's rusage can include its parent's pages).
    std::cout << seconds << " " << r.inserted + r.updated << " " << status_kb("VmHWM") << " " << heap_kb << "\n";
    return 0;
}

// A new client's first sync against one peer holding N rows (its snapshot, or
// its journal with its base), on a share of the same kind holding only that
// peer's objects. For the original (`original_package` set), its client in its
// Node process.
FullMerge measure_full_merge(const fs::path& dir, const bench::CellShare& share, const std::string& exchange,
                             const fs::path& original_package, const std::string& schema) {
    const fs::path site = dir / "full-merge";
    fs::remove_all(site);
    fs::create_directories(site);
    const auto site_share = share.copy_of_client("c0", site);
    {
        SQLite::Database db((site / "fresh.sqlite").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec(bench::make_workload(schema)->schema_sql());
    }
    ::sync();  // the copies above are on disk: the merge pays for its own writes only
    if (!original_package.empty()) {
        bench::OriginalClient client(original_package, site / "fresh.sqlite", site_share->folder(), "fresh");
        const auto r = client.sync();
        const FullMerge result{r.ms / 1000, r.result.value("inserted", std::int64_t{0}) + r.result.value("updated", std::int64_t{0}),
                               r.peak_kb};
        fs::remove_all(site);
        return result;
    }
    const fs::path out = site / "child.out";
    const std::string self = fs::read_symlink("/proc/self/exe").string();
    std::vector<std::string> args{self, "--full-merge-child", site.string(), exchange, schema,
                                  bench::section_to_json(site_share->section())};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = 0;
    if (posix_spawn(&pid, self.c_str(), &actions, nullptr, argv.data(), environ) != 0)
        throw std::runtime_error("cannot start the full-merge child");
    posix_spawn_file_actions_destroy(&actions);
    int status = 0;
    waitpid(pid, &status, 0);
    FullMerge result;
    std::ifstream(out) >> result.seconds >> result.rows >> result.peak_rss_kb >> result.peak_heap_kb;
    fs::remove_all(site);
    return result;
}

std::vector<std::string> parse_names(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ',');) out.push_back(item);
    return out;
}

std::vector<int> parse_list(const std::string& s) {
    std::vector<int> out;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoi(item));
    return out;
}

// What one row of the matrix says: a cell's syncs summed up.
struct CellTotals {
    std::vector<double> times;
    std::uint64_t moved = 0;
    bench::TransportCalls calls;
};

// "list · get (+first bytes) · put · remove" per sync.
std::string calls_per_sync(const bench::TransportCalls& c, std::size_t syncs) {
    const double n = static_cast<double>(std::max<std::size_t>(syncs, 1));
    return fmt::format("{:.1f} · {:.1f} (+{:.1f}) · {:.1f} · {:.1f}", c.list / n, c.get / n, c.first_bytes / n, c.put / n,
                       c.remove / n);
}

nlohmann::json calls_json(const bench::TransportCalls& c, std::size_t syncs) {
    const double n = static_cast<double>(std::max<std::size_t>(syncs, 1));
    return {{"list", c.list / n}, {"get", c.get / n}, {"first_bytes", c.first_bytes / n}, {"put", c.put / n},
            {"remove", c.remove / n}};
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 6 && std::string(argv[1]) == "--full-merge-child")
        return full_merge_child(argv[2], argv[3], argv[4], argv[5]);
    CLI::App app{"nas-sync-bench: sync cost against database size and change count"};
    std::string rows_arg = "10000", changes_arg = "0,100,10000", exchanges_arg = "snapshot", schemas_arg = "two-table";
    std::string clients_arg = "5", transports_arg = "fs";
    std::string save, baseline, work = fs::temp_directory_path() / "nas-sync-bench";
    int rounds = 5, first_contacts = 3;
    int build_jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::size_t row_bytes = 120;
    bool keep = false;
    std::string original_arg;
    app.add_option("--rows", rows_arg, "Database sizes N, comma-separated");
    app.add_option("--clients", clients_arg, "Fleet sizes M, comma-separated");
    app.add_option("--changes", changes_arg, "Rows changed per round K, comma-separated");
    app.add_option("--exchange", exchanges_arg,
                   "snapshot, journal, original (the npm package, see --original), comma-separated");
    app.add_option("--transport", transports_arg,
                   "fs (a local folder), smb (a Samba server this program starts on 127.0.0.1), nats (a nats-server "
                   "it starts on 127.0.0.1), comma-separated; the original runs on fs only");
    app.add_option("--original", original_arg,
                   "A folder where 'npm install sqlite-nas-sync better-sqlite3' was run: the original's clients "
                   "for --exchange original");
    app.add_option("--schema", schemas_arg,
                   "two-table (customers and orders), prisma (models, a composite-id model without a timestamp, a "
                   "many-to-many table), comma-separated");
    app.add_option("--row-bytes", row_bytes,
                   "two-table: bytes of each row's notes value (120; 100000000 measures the memory a merge of rows "
                   "of 100 MB takes)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{900} << 20));
    app.add_option("--rounds", rounds, "Rounds per cell (the median is taken)");
    app.add_option("--first-contacts", first_contacts, "First contacts per N and exchange (the median is taken)")
        ->check(CLI::PositiveNumber);
    app.add_option("--build-jobs", build_jobs,
                   "Clients syncing at once while an fs fleet is built (the number of cores; smb and nats fleets "
                   "are built one client at a time); the measured rounds sync one client at a time")
        ->check(CLI::PositiveNumber);
    app.add_option("--work", work, "Scratch folder (needs room for M copies of the largest database)");
    app.add_flag("--keep", keep,
                 "Keep each fs fleet in the scratch folder, and use a kept one again (faster reruns; smb and nats "
                 "fleets live with their server, which ends with this program)");
    app.add_option("--save", save, "Write the results as JSON");
    app.add_option("--baseline", baseline, "Compare with results saved by --save");
    CLI11_PARSE(app, argc, argv);
    const auto exchanges = parse_names(exchanges_arg);
    for (const auto& e : exchanges)
        if (e != "snapshot" && e != "journal" && e != "original") {
            std::cerr << fmt::format("nas-sync-bench: --exchange '{}': not snapshot, journal or original\n", e);
            return 2;
        }
    std::vector<bench::ShareKind> transports;
    for (const auto& t : parse_names(transports_arg)) {
        const auto kind = bench::share_kind_named(t);
        if (!kind) {
            std::cerr << fmt::format("nas-sync-bench: --transport '{}': not fs, smb or nats\n", t);
            return 2;
        }
        transports.push_back(*kind);
    }
    std::vector<int> fleet_sizes;
    try {
        fleet_sizes = parse_list(clients_arg);
    } catch (const std::exception&) {
        fleet_sizes.clear();
    }
    if (fleet_sizes.empty() || std::any_of(fleet_sizes.begin(), fleet_sizes.end(), [](int m) { return m < 2; })) {
        std::cerr << fmt::format("nas-sync-bench: --clients '{}': fleet sizes of at least 2, comma-separated\n",
                                 clients_arg);
        return 2;
    }
    const auto schemas = parse_names(schemas_arg);
    for (const auto& name : schemas)
        if (!bench::make_workload(name)) {
            std::cerr << fmt::format("nas-sync-bench: --schema '{}': not two-table or prisma\n", name);
            return 2;
        }
    fs::path original_package;
    const bool with_original = std::find(exchanges.begin(), exchanges.end(), "original") != exchanges.end();
    if (with_original != !original_arg.empty()) {
        std::cerr << "nas-sync-bench: --exchange original and --original DIR go together\n";
        return 2;
    }
    try {
        if (with_original) original_package = bench::original_package_folder(original_arg);
    } catch (const std::exception& e) {
        std::cerr << "nas-sync-bench: " << e.what() << "\n";
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);  // an original client that ended is reported by the next read, not by a signal

    try {
        json results = json::array();
        json base = json::array();
        if (!baseline.empty()) base = json::parse(std::ifstream(baseline));
        // Results saved before --transport and --clients were lists are fs runs of their one fleet size.
        auto baseline_ms = [&](const std::string& schema, const std::string& transport, const std::string& exchange,
                               int n, int m, int k) -> std::string {
            for (const auto& r : base)
                if (r.value("schema", "two-table") == schema && r.value("transport", "fs") == transport &&
                    r["exchange"] == exchange && r["rows"] == n && r.value("clients", m) == m && r["changes"] == k)
                    return fmt::format("{:.1f}", r["median_ms"].get<double>());
            return "-";
        };

        std::cout << fmt::format("| schema | transport | exchange | rows N | clients M | changed K | median sync | "
                                 "moved per sync | calls per sync: list · get (+first bytes) · put · remove | "
                                 "longest app write wait | longest app commit | {}\n",
                                 baseline.empty() ? "" : "baseline median |");
        std::cout << fmt::format("|---|---|---|---|---|---|---|---|---|---|---|{}\n", baseline.empty() ? "" : "---|");
        std::vector<std::string> merges;
        for (const auto& schema : schemas)
        for (const auto transport : transports)
        for (const auto& exchange : exchanges)
        for (const int clients : fleet_sizes) {
            if (exchange == "original" && schema != "two-table") continue;  // the original syncs none of prisma's extra tables
            if (exchange == "original" && transport != bench::ShareKind::fs) continue;  // it reaches folders only
            const std::string transport_name = bench::name_of(transport);
            const auto workload = bench::make_workload(schema, row_bytes);
            const fs::path package = exchange == "original" ? original_package : fs::path();
            for (const int n : parse_list(rows_arg)) {
                const fs::path dir =
                    fs::path(work) / fmt::format("{}-{}-{}-{}-{}", schema, transport_name, exchange, n, clients);
                // A fleet kept by an earlier --keep run is used again as it is (in sync).
                const bool reuse = keep && transport == bench::ShareKind::fs && fs::exists(dir / "in-sync");
                if (reuse) {
                    SQLite::Database db((dir / "template.sqlite").string(), SQLite::OPEN_READONLY);
                    workload->load(db);
                } else {
                    fs::remove_all(dir);
                    fs::create_directories(dir);
                    make_template(dir / "template.sqlite", *workload, n);
                }
                const bench::CellShare share(transport, dir);
                std::vector<FleetClient> fleet;
                for (int c = 0; c < clients; ++c) {
                    const std::string id = fmt::format("c{}", c);
                    if (!reuse) fs::copy_file(dir / "template.sqlite", dir / (id + ".sqlite"));
                    fleet.push_back(package.empty() ? engine_client(dir, id, exchange, *workload, share)
                                                    : original_client(package, dir, share.folder(), id));
                }
                if (!reuse) {
                    // The first contacts, J at a time: fs fleets only (two clients of this process making
                    // first contacts over NATS at once timed out creating the bucket's stream in one CI run,
                    // not yet understood).
                    if (build_jobs > 1 && transport == bench::ShareKind::fs)
                        for (int round = 0; round < 2; ++round) sync_all_at_once(fleet, build_jobs);
                    // Then one client at a time: in steady state (everyone has read everyone's journal and
                    // its read progress, and removed what all have read), an idle sync moves nothing.
                    for (int round = 0; round < 2; ++round)
                        for (auto& sync : fleet) sync();
                    if (transport == bench::ShareKind::fs) std::ofstream(dir / "in-sync") << "";
                }

                std::mt19937_64 rng(7);
                for (const int k : parse_list(changes_arg)) {
                    CellTotals cell;
                    ::sync();  // what earlier cells wrote is on disk: this one pays for its own writes
                    WriterProbe writer(dir / "c1.sqlite");
                    for (int round = 0; round < rounds; ++round) {
                        if (k > 0) {
                            SQLite::Database db((dir / "c0.sqlite").string(), SQLite::OPEN_READWRITE);
                            db.setBusyTimeout(10000);
                            workload->change(db, k, rng);
                        }
                        for (auto& sync : fleet) {
                            const auto m = sync();
                            cell.times.push_back(m.ms);
                            cell.moved += m.bytes;
                            cell.calls += m.calls;
                        }
                    }
                    const std::size_t syncs = cell.times.size();
                    const double med = median(cell.times);
                    const double per_sync = static_cast<double>(cell.moved) / static_cast<double>(syncs);
                    const double wait = writer.max_wait_ms(), commit = writer.max_commit_ms();
                    const std::string calls = package.empty() ? calls_per_sync(cell.calls, syncs) : "-";
                    json row{{"schema", schema}, {"transport", transport_name}, {"exchange", exchange}, {"rows", n},
                             {"clients", clients}, {"changes", k}, {"median_ms", med}, {"bytes_per_sync", per_sync},
                             {"max_write_wait_ms", wait}, {"max_app_commit_ms", commit}};
                    if (package.empty()) row["calls_per_sync"] = calls_json(cell.calls, syncs);
                    results.push_back(row);
                    std::cout << fmt::format(
                                     "| {} | {} | {} | {} | {} | {} | {:.1f} ms | {:.1f} KiB | {} | {:.0f} ms | {:.0f} ms | {}\n",
                                     schema, transport_name, exchange, n, clients, k, med, per_sync / 1024, calls, wait,
                                     commit,
                                     baseline.empty() ? "" : baseline_ms(schema, transport_name, exchange, n, clients, k) + " ms |")
                              << std::flush;
                }
                fleet.clear();
                // A first contact reads one peer, whatever M: measured with the first fleet size only. nats
                // objects are not files to copy into a fresh bucket: its first contacts are not measured.
                if (transport == bench::ShareKind::nats || clients != fleet_sizes.front()) {
                    if (!keep || transport != bench::ShareKind::fs) fs::remove_all(dir);
                    continue;
                }
                // The median time; the highest peak memory of them all.
                std::vector<FullMerge> runs;
                for (int i = 0; i < first_contacts; ++i)
                    runs.push_back(measure_full_merge(dir, share, exchange, package, schema));
                std::sort(runs.begin(), runs.end(), [](const FullMerge& a, const FullMerge& b) { return a.seconds < b.seconds; });
                const FullMerge& merge = runs[runs.size() / 2];
                long peak_kb = 0;
                long heap_kb = 0;
                std::string each;
                json seconds = json::array();
                for (const auto& r : runs) {
                    peak_kb = std::max(peak_kb, r.peak_rss_kb);
                    heap_kb = std::max(heap_kb, r.peak_heap_kb);
                    each += fmt::format("{}{:.2f}", each.empty() ? "" : ", ", r.seconds);
                    seconds.push_back(r.seconds);
                }
                // The original's Node process reports no heap of its own here: "-".
                const std::string heap = package.empty() ? fmt::format("{:.0f} MB", heap_kb / 1024.0) : "-";
                merges.push_back(fmt::format("| {} | {} | {} | {} | {} | {:.2f} s | {:.0f} rows/s | {} s | {:.0f} MB | {} |",
                                             schema, transport_name, exchange, n, merge.rows, merge.seconds,
                                             merge.rows / merge.seconds, each, peak_kb / 1024.0, heap));
                results.push_back({{"schema", schema}, {"transport", transport_name}, {"exchange", exchange}, {"rows", n},
                                   {"full_merge_rows", merge.rows}, {"full_merge_s", merge.seconds},
                                   {"full_merge_rows_per_s", merge.rows / merge.seconds}, {"full_merge_each_s", seconds},
                                   {"peak_rss_mb", peak_kb / 1024.0}, {"peak_heap_mb", heap_kb / 1024.0}});
                if (!keep || transport != bench::ShareKind::fs) fs::remove_all(dir);
            }
        }
        std::cout << "\n| schema | transport | exchange | rows N | rows applied | first-contact sync (median) | rate | each | "
                     "peak memory (VmHWM) | peak heap (RssAnon) |\n|---|---|---|---|---|---|---|---|---|---|\n";
        for (const auto& m : merges) std::cout << m << "\n";
        if (!save.empty()) std::ofstream(save) << results.dump(2) << "\n";
    } catch (const std::exception& e) {
        std::cerr << "nas-sync-bench: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
