// `plugins`, `check` and `init`: the commands that change no synced data.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>

#include "cli/commands.hpp"
#include "cli/exchange_choice.hpp"
#include "config/option_values.hpp"
#include "database/schema.hpp"
#include "host/loaded_pipeline.hpp"

namespace nas_sync::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The pipeline's plugin_paths, when there is a pipeline file to read them from.
std::vector<fs::path> pipeline_plugin_paths(const GlobalOptions& global) {
    std::error_code ec;
    if (!global.config_given && !fs::exists(global.config, ec)) return {};
    return load_pipeline_file(global.config).plugin_paths;
}

json plan_json(const LoadedPipeline& pipeline, const std::vector<TableInfo>& tables,
               const std::vector<std::string>& warnings, std::size_t objects_on_share) {
    const auto& config = pipeline.config();
    json out;
    out["client_id"] = config.client_id;
    out["database"] = config.database.string();
    out["transport"] = {{"plugin", config.transport.plugin}, {"location", pipeline.transport().describe()},
                        {"objects", objects_on_share}};
    out["exchange"] = config.exchange == ExchangeLayout::snapshot ? "snapshot" : "journal";
    out["discovery"] = config.discovery.plugin;
    out["tables"] = json::array();
    for (const auto& t : tables) {
        json columns = json::array();
        for (const auto& c : t.columns) columns.push_back(c.name);
        out["tables"].push_back({{"name", t.name}, {"key_columns", t.key_columns},
                                 {"timestamp_column", t.timestamp_column}, {"columns", columns}});
    }
    out["resolvers"] = json::array();
    for (const auto& r : pipeline.resolvers().entries())
        out["resolvers"].push_back({{"plugin", r.plugin}, {"tables", r.tables}});
    out["hooks"] = json::array();
    for (const auto& h : pipeline.hooks().entries()) {
        json on = json::array();
        for (const auto kind : h.on) on.push_back(to_string(kind));
        out["hooks"].push_back({{"plugin", h.plugin}, {"key", h.key}, {"on", on}});
    }
    out["interval_ms"] = config.interval.count();
    out["warnings"] = warnings;
    return out;
}

void print_plan(const json& plan) {
    std::cout << fmt::format("client      {}\n", plan["client_id"].get<std::string>());
    std::cout << fmt::format("database    {}\n", plan["database"].get<std::string>());
    std::cout << fmt::format("transport   {} ({}, {} objects on the share)\n",
                             plan["transport"]["plugin"].get<std::string>(),
                             plan["transport"]["location"].get<std::string>(),
                             plan["transport"]["objects"].get<std::size_t>());
    std::cout << fmt::format("exchange    {}\n", plan["exchange"].get<std::string>());
    std::cout << fmt::format("discovery   {}\n", plan["discovery"].get<std::string>());
    std::cout << "tables\n";
    for (const auto& t : plan["tables"])
        std::cout << fmt::format("  {:<24} key {:<12} timestamp {}\n", t["name"].get<std::string>(),
                                 fmt::format("{}", fmt::join(t["key_columns"].get<std::vector<std::string>>(), ",")),
                                 t["timestamp_column"].get<std::string>().empty()
                                     ? std::string("none (versions are capture times)")
                                     : t["timestamp_column"].get<std::string>());
    std::cout << "resolvers\n";
    for (const auto& r : plan["resolvers"]) {
        const auto tables = r["tables"].get<std::vector<std::string>>();
        std::cout << fmt::format("  {:<24} {}\n", r["plugin"].get<std::string>(),
                                 tables.empty() ? std::string("all tables")
                                                : fmt::format("tables: {}", fmt::join(tables, ", ")));
    }
    std::cout << "hooks" << (plan["hooks"].empty() ? "       none\n" : "\n");
    for (const auto& h : plan["hooks"])
        std::cout << fmt::format("  {:<24} on {} ({})\n", h["plugin"].get<std::string>(),
                                 fmt::join(h["on"].get<std::vector<std::string>>(), ", "), h["key"].get<std::string>());
    for (const auto& w : plan["warnings"]) std::cout << "warning: " << w.get<std::string>() << "\n";
}

json make_plan(const LoadedPipeline& pipeline) {
    std::vector<std::string> warnings;
    const auto tables = pipeline.discover_tables(warnings);
    const auto objects = pipeline.transport().list("");
    return plan_json(pipeline, tables, warnings, objects.size());
}

// A path as the pipeline file should hold it: relative to the file's folder
// when it lies below it, absolute otherwise.
std::string path_for_pipeline(const fs::path& p, const fs::path& pipeline_dir) {
    const auto absolute = fs::absolute(p).lexically_normal();
    const auto relative = absolute.lexically_relative(pipeline_dir);
    if (!relative.empty() && *relative.begin() != "..") return "./" + relative.generic_string();
    return absolute.string();
}

std::string yaml_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += '\'';
        out += c;
    }
    return out + "'";
}

}  // namespace

int plugins_command(const GlobalOptions& global) {
    const PluginRegistry registry(PluginRegistry::search_path(pipeline_plugin_paths(global)));
    if (global.json) {
        json out = json::array();
        for (const auto& p : registry.plugins()) {
            json options = json::array();
            for (const auto& o : p.descriptor->options)
                options.push_back({{"name", o.name}, {"type", to_string(o.type)}, {"required", o.required},
                                   {"default", shown_default(o)}, {"description", o.description}});
            out.push_back({{"kind", to_string(p.descriptor->kind)}, {"name", p.descriptor->name},
                           {"version", p.descriptor->version}, {"description", p.descriptor->description},
                           {"path", p.file.string()}, {"options", options}});
        }
        if (registry.problems().empty()) {
            std::cout << out.dump(2) << "\n";
        } else {
            // As every error with --json: one object with `error` (here with
            // the plugins that did load, so a GUI can still list them).
            std::cout << json{{"error", fmt::format("{} plugin librar{} refused: {}", registry.problems().size(),
                                                    registry.problems().size() == 1 ? "y" : "ies",
                                                    fmt::join(registry.problems(), "; "))},
                              {"exit_status", 2},
                              {"problems", registry.problems()},
                              {"plugins", out}}
                             .dump(2)
                      << "\n";
        }
    } else {
        for (const auto& p : registry.plugins()) {
            const auto& d = *p.descriptor;
            std::cout << fmt::format("{:<10} {:<18} {:<8} {}\n  {}\n", to_string(d.kind), d.name, d.version,
                                     d.description, p.file.string());
            for (const auto& o : d.options)
                std::cout << fmt::format("    {:<18} {:<16} {} ({})\n", o.name, to_string(o.type), o.description,
                                         o.required ? "required" : "default: " + shown_default(o));
        }
    }
    for (const auto& problem : registry.problems()) std::cerr << "nas-sync: " << problem << "\n";
    return registry.problems().empty() ? 0 : 2;
}

int check_command(const GlobalOptions& global) {
    const LoadedPipeline pipeline(load_pipeline_file(global.config));
    const auto plan = make_plan(pipeline);
    if (global.json)
        std::cout << plan.dump(2) << "\n";
    else
        print_plan(plan);
    return 0;
}

namespace {

constexpr const char* smb_password_variable = "NAS_SYNC_SMB_PASSWORD";

// The transport section init writes: `fs` for a folder, `smb` for an
// smb:// URL, whose password the pipeline reads from the environment (a
// password never sits in the file, nor in the URL).
std::string transport_section(const InitOptions& init, const fs::path& dir) {
    if (!init.share.starts_with("smb://")) {
        if (!init.smb_user.empty()) throw ConfigError({}, "--user", "--user goes with an smb:// share only");
        return fmt::format("  plugin: fs\n  path: {}\n", yaml_quote(path_for_pipeline(init.share, dir)));
    }
    const auto authority_end = init.share.find('/', 6);
    const auto at = init.share.find('@', 6);
    if (at != std::string::npos && at < authority_end)  // not repeated: it may hold the password
        throw ConfigError({}, "--share",
                          fmt::format("--share: an smb:// URL must not hold a user name or password; give the user "
                                      "with --user and the password in the environment variable {}",
                                      smb_password_variable));
    if (init.smb_user.empty())  // a guest share: write the section by hand (docs/smb.md)
        throw ConfigError({}, "--user",
                          fmt::format("--share '{}': give the SMB user with --user (its password is read from {})",
                                      init.share, smb_password_variable));
    if (!std::getenv(smb_password_variable))
        throw ConfigError({}, "--share",
                          fmt::format("--share '{}': set the share's password in the environment variable {} (the "
                                      "pipeline reads it from there at every start; it is never written)",
                                      init.share, smb_password_variable));
    return fmt::format("  plugin: smb\n  url: {}\n  username: {}\n  password: ${{{}}}\n", yaml_quote(init.share),
                       yaml_quote(init.smb_user), smb_password_variable);
}

}  // namespace

int init_command(const GlobalOptions& global, const InitOptions& init) {
    const fs::path file = fs::absolute(global.config).lexically_normal();
    std::error_code ec;
    if (fs::exists(file, ec))
        throw Error(ErrorCode::config, fmt::format("{} already exists; init never overwrites a pipeline "
                                                   "(choose another --config)",
                                                   file.string()));
    if (!is_valid_client_id(init.client_id))
        throw Error(ErrorCode::config, fmt::format("--client '{}' is not a valid client id; use 1 to 64 letters, "
                                                   "digits, '.', '_' or '-' (not '.' or '..')",
                                                   init.client_id));
    const fs::path dir = file.parent_path();
    auto pipeline_text = [&](const std::string& exchange_yaml) {
        return fmt::format(
            "# nas-sync pipeline, written by `nas-sync init`. Every key: docs/configuration.md\n"
            "version: 1\n"
            "client_id: {}\n"
            "database: {}\n"
            "transport:\n"
            "{}"
            "{}"
            "discovery:\n"
            "  plugin: auto\n"
            "resolvers:\n"
            "  - plugin: lww\n"
            "interval: 30s\n",
            init.client_id, yaml_quote(path_for_pipeline(init.database, dir)), transport_section(init, dir),
            exchange_yaml);
    };

    // Load what we are about to write, so a pipeline that would not work is
    // never written. Its problems are told as the arguments that caused them.
    // It is loaded first as a snapshot pipeline, to see who is on the share.
    if (const auto problem = problem_with_database_file(init.database))
        throw ConfigError({}, "--db", fmt::format("--db '{}' {}", init.database.string(), *problem));
    std::optional<LoadedPipeline> pipeline;
    json plan;
    std::string text;
    try {
        pipeline.emplace(parse_pipeline(pipeline_text("exchange: snapshot\n"), file));
        const auto choice = choose_exchange(pipeline->transport(), init.client_id, init.exchange);
        text = pipeline_text(choice.yaml);
        if (choice.exchange != "snapshot") {
            pipeline.reset();
            pipeline.emplace(parse_pipeline(text, file));
        }
        plan = make_plan(*pipeline);
    } catch (const ConfigError& e) {
        if (!e.key().starts_with("transport")) throw ConfigError({}, "--db", fmt::format("--db '{}': {}", init.database.string(), e.message()));
        throw ConfigError({}, "--share", fmt::format("--share '{}': {}", init.share, e.message()));
    } catch (const Error& e) {
        if (!pipeline) throw Error(e.code(), fmt::format("--share '{}': {}", init.share, e.what()));
        throw;
    }
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out << text;
        out.close();
        if (!out) throw Error(ErrorCode::io, fmt::format("cannot write {}", file.string()));
    }
    if (global.json) {
        std::cout << json{{"written", file.string()}, {"plan", plan}}.dump(2) << "\n";
    } else {
        std::cout << "wrote " << file.string() << "\n";
        print_plan(plan);
    }
    return 0;
}

}  // namespace nas_sync::cli
