// Reading the pipeline file: YAML -> PipelineConfig, with every error naming
// FILE:LINE:COL and the key.
#include <yaml-cpp/yaml.h>
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "nas_sync/error.hpp"
#include "nas_sync/pipeline.hpp"

namespace nas_sync {

std::string SourceLocation::str() const {
    if (file.empty()) return "pipeline";
    if (line == 0) return file;
    return fmt::format("{}:{}:{}", file, line, column);
}

bool is_valid_client_id(const std::string& id) {
    static const std::regex pattern("[A-Za-z0-9._-]{1,64}");
    return std::regex_match(id, pattern);
}

std::chrono::milliseconds parse_duration(const std::string& text, const std::string& what) {
    static const std::regex pattern("([0-9]{1,12})(ms|s|m|h|d)");
    std::smatch m;
    if (!std::regex_match(text, m, pattern))
        throw Error(ErrorCode::config,
                    fmt::format("{}: '{}' is not a duration; write a whole number and a unit: "
                                "500ms, 30s, 5m, 1h, 7d",
                                what, text));
    const long long n = std::stoll(m[1].str());
    const std::string unit = m[2].str();
    using namespace std::chrono;
    if (unit == "ms") return milliseconds(n);
    if (unit == "s") return seconds(n);
    if (unit == "m") return minutes(n);
    if (unit == "h") return hours(n);
    return hours(24 * n);
}

namespace {

class PipelineReader {
public:
    explicit PipelineReader(std::filesystem::path file) : file_(std::move(file)) {}

    PipelineConfig read(const std::string& text) {
        YAML::Node root;
        try {
            root = YAML::Load(text);
        } catch (const YAML::ParserException& e) {
            throw Error(ErrorCode::config,
                        fmt::format("{}: not valid YAML: {}", at(e.mark), e.msg));
        }
        PipelineConfig config;
        config.file = file_;
        config.base_dir = file_.has_parent_path() ? file_.parent_path() : std::filesystem::path(".");
        config.base_dir = std::filesystem::absolute(config.base_dir).lexically_normal();
        base_dir_ = config.base_dir;
        if (!root.IsMap())
            throw Error(ErrorCode::config,
                        fmt::format("{}: the pipeline file must be a YAML map of keys "
                                    "(version, client_id, database, transport, ...)",
                                    at(root.Mark())));

        static const std::vector<std::string> keys = {
            "version", "client_id", "database", "plugin_paths", "transport", "exchange",
            "discovery", "resolvers", "interval", "changelog_retention", "heartbeat", "schema_version", "journal"};
        for (const auto& kv : root) {
            const std::string key = key_name(kv.first);
            if (std::find(keys.begin(), keys.end(), key) == keys.end())
                throw Error(ErrorCode::config,
                            fmt::format("{}: unknown key '{}'; valid keys: {}", at(kv.first.Mark()),
                                        key, fmt::join(keys, ", ")));
            config.locations[key] = location(kv.second.Mark());
        }
        for (const char* required : {"version", "client_id", "database", "transport"})
            if (!root[required])
                throw Error(ErrorCode::config,
                            fmt::format("{}: missing required key '{}'", location(root.Mark()).file,
                                        required));

        const auto version_text = scalar(root["version"], "version");
        if (version_text != "1")
            throw Error(ErrorCode::config,
                        fmt::format("{}: key 'version': '{}' is not supported; this nas-sync reads "
                                    "pipeline version 1",
                                    at(root["version"].Mark()), version_text));

        config.client_id = scalar(root["client_id"], "client_id");  // checked by validate_pipeline

        config.database = path(root["database"], "database");
        if (auto node = root["plugin_paths"]) {
            for (const auto& p : list(node, "plugin_paths"))
                config.plugin_paths.push_back(resolve(p));
        }
        config.transport = section(root["transport"], "transport");
        if (auto node = root["exchange"]) {
            const auto value = scalar(node, "exchange");
            if (value == "snapshot")
                config.exchange = ExchangeLayout::snapshot;
            else if (value == "journal")
                config.exchange = ExchangeLayout::journal;
            else
                throw Error(ErrorCode::config,
                            fmt::format("{}: key 'exchange': '{}' is not a layout; valid: snapshot, journal",
                                        at(node.Mark()), value));
        }
        if (auto node = root["discovery"]) config.discovery = section(node, "discovery");
        if (auto node = root["resolvers"]) {
            if (!node.IsSequence() || node.size() == 0)
                throw Error(ErrorCode::config,
                            fmt::format("{}: key 'resolvers' must be a non-empty list of "
                                        "{{plugin: NAME, ...}} entries",
                                        at(node.Mark())));
            config.resolvers.clear();
            for (std::size_t i = 0; i < node.size(); ++i)
                config.resolvers.push_back(section(node[i], fmt::format("resolvers[{}]", i), true));
        }
        if (auto node = root["interval"]) config.interval = duration(node, "interval");
        if (auto node = root["changelog_retention"])
            config.changelog_retention = duration(node, "changelog_retention");
        if (auto node = root["heartbeat"]) config.heartbeat = boolean(node, "heartbeat");
        if (auto node = root["journal"]) {
            if (config.exchange != ExchangeLayout::journal)
                throw Error(ErrorCode::config, fmt::format("{}: key 'journal' applies only with 'exchange: journal'",
                                                           at(node.Mark())));
            const auto options = map(node, "journal");
            static const std::vector<std::string> valid = {"base_every", "snapshot_every", "retire_after"};
            for (const auto& [name, value] : options) {
                const std::string where = fmt::format("{}: key 'journal.{}'", at(node[name].Mark()), name);
                if (name == "base_every") {
                    int n = 0;
                    try {
                        n = std::stoi(value);
                    } catch (const std::exception&) {
                    }
                    if (n < 1) throw Error(ErrorCode::config, where + ": write a whole number of segments, 1 or more");
                    config.journal.base_every = n;
                } else if (name == "snapshot_every") {
                    config.journal.snapshot_every = parse_duration(value, where);
                } else if (name == "retire_after") {
                    config.journal.retire_after = parse_duration(value, where);
                } else {
                    throw Error(ErrorCode::config, fmt::format("{}: unknown key 'journal.{}'; valid keys: {}",
                                                               at(node.Mark()), name, fmt::join(valid, ", ")));
                }
            }
        }
        if (auto node = root["schema_version"]) {
            config.schema_version = scalar(node, "schema_version");
            if (config.schema_version.empty())
                throw Error(ErrorCode::config,
                            fmt::format("{}: key 'schema_version' is empty; write auto or a version string",
                                        at(node.Mark())));
        }
        validate_pipeline(config);
        return config;
    }

private:
    SourceLocation location(const YAML::Mark& mark) const {
        if (mark.is_null()) return {file_.string(), 0, 0};
        return {file_.string(), mark.line + 1, mark.column + 1};
    }
    std::string at(const YAML::Mark& mark) const { return location(mark).str(); }

    // ${NAME} -> the environment variable NAME; unset is an error.
    std::string substitute(const std::string& text, const YAML::Node& node, const std::string& key) const {
        std::string out;
        std::size_t pos = 0;
        while (true) {
            const auto start = text.find("${", pos);
            if (start == std::string::npos) break;
            const auto end = text.find('}', start);
            if (end == std::string::npos)
                throw Error(ErrorCode::config,
                            fmt::format("{}: key '{}': '${{' without a closing '}}'", at(node.Mark()), key));
            const std::string name = text.substr(start + 2, end - start - 2);
            static const std::regex valid("[A-Za-z_][A-Za-z0-9_]*");
            if (!std::regex_match(name, valid))
                throw Error(ErrorCode::config,
                            fmt::format("{}: key '{}': '${{{}}}' is not an environment variable name",
                                        at(node.Mark()), key, name));
            const char* value = std::getenv(name.c_str());
            if (value == nullptr)
                throw Error(ErrorCode::config,
                            fmt::format("{}: key '{}': environment variable '{}' is not set",
                                        at(node.Mark()), key, name));
            out += text.substr(pos, start - pos);
            out += value;
            pos = end + 1;
        }
        out += text.substr(pos);
        return out;
    }

    // A map key must be plain text: not a list, a map or empty.
    std::string key_name(const YAML::Node& node) const {
        if (!node.IsScalar() || node.Scalar().empty())
            throw Error(ErrorCode::config, fmt::format("{}: a key must be a plain name", at(node.Mark())));
        return node.Scalar();
    }

    std::string scalar(const YAML::Node& node, const std::string& key) const {
        if (!node.IsScalar())
            throw Error(ErrorCode::config,
                        fmt::format("{}: key '{}' must be a single value", at(node.Mark()), key));
        return substitute(node.Scalar(), node, key);
    }

    std::vector<std::string> list(const YAML::Node& node, const std::string& key) const {
        if (!node.IsSequence())
            throw Error(ErrorCode::config,
                        fmt::format("{}: key '{}' must be a list, like [a, b]", at(node.Mark()), key));
        std::vector<std::string> out;
        for (std::size_t i = 0; i < node.size(); ++i)
            out.push_back(scalar(node[i], fmt::format("{}[{}]", key, i)));
        return out;
    }

    std::map<std::string, std::string> map(const YAML::Node& node, const std::string& key) const {
        if (!node.IsMap())
            throw Error(ErrorCode::config,
                        fmt::format("{}: key '{}' must be a map, like {{a: b}}", at(node.Mark()), key));
        std::map<std::string, std::string> out;
        for (const auto& kv : node) {
            const auto k = scalar(kv.first, key);
            out[k] = scalar(kv.second, key + "." + k);
        }
        return out;
    }

    std::filesystem::path resolve(const std::string& p) const {
        std::filesystem::path result(p);
        if (result.is_relative()) result = base_dir_ / result;
        return result.lexically_normal();
    }

    std::filesystem::path path(const YAML::Node& node, const std::string& key) const {
        const auto text = scalar(node, key);
        if (text.empty())
            throw Error(ErrorCode::config, fmt::format("{}: key '{}' is empty", at(node.Mark()), key));
        return resolve(text);
    }

    std::chrono::milliseconds duration(const YAML::Node& node, const std::string& key) const {
        return parse_duration(scalar(node, key), fmt::format("{}: key '{}'", at(node.Mark()), key));
    }

    bool boolean(const YAML::Node& node, const std::string& key) const {
        const auto text = scalar(node, key);
        if (text == "true") return true;
        if (text == "false") return false;
        throw Error(ErrorCode::config,
                    fmt::format("{}: key '{}': '{}' is not a boolean; write true or false",
                                at(node.Mark()), key, text));
    }

    PluginSection section(const YAML::Node& node, const std::string& key, bool is_resolver = false) const {
        if (!node.IsMap())
            throw Error(ErrorCode::config,
                        fmt::format("{}: key '{}' must be a map with a 'plugin' key", at(node.Mark()), key));
        PluginSection s;
        s.key = key;
        s.location = location(node.Mark());
        if (!node["plugin"])
            throw Error(ErrorCode::config,
                        fmt::format("{}: key '{}' has no 'plugin' key naming the plugin to use",
                                    at(node.Mark()), key));
        for (const auto& kv : node) {
            const std::string name = key_name(kv.first);
            const std::string option_key = key + "." + name;
            if (name == "plugin") {
                s.plugin = scalar(kv.second, option_key);
            } else if (name == "tables" && is_resolver) {
                s.tables = list(kv.second, option_key);
            } else {
                RawOption option;
                option.location = location(kv.first.Mark());
                if (kv.second.IsSequence())
                    option.value = list(kv.second, option_key);
                else if (kv.second.IsMap())
                    option.value = map(kv.second, option_key);
                else
                    option.value = scalar(kv.second, option_key);
                s.options[name] = std::move(option);
            }
        }
        return s;
    }

    std::filesystem::path file_;
    std::filesystem::path base_dir_;
};

}  // namespace

PipelineConfig parse_pipeline(const std::string& yaml_text, const std::filesystem::path& file) {
    try {
        return PipelineReader(file).read(yaml_text);
    } catch (const YAML::Exception& e) {  // anything yaml-cpp refuses that the reader did not name itself
        throw Error(ErrorCode::config, fmt::format("{}:{}:{}: not valid YAML: {}", file.string(), e.mark.line + 1,
                                                   e.mark.column + 1, e.msg));
    }
}

PipelineConfig load_pipeline_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw Error(ErrorCode::config,
                    fmt::format("{}: cannot read the pipeline file (does it exist?)", file.string()));
    std::ostringstream text;
    text << in.rdbuf();
    return parse_pipeline(text.str(), file);
}

void validate_pipeline(const PipelineConfig& config) {
    auto where = [&](const std::string& key) {
        auto it = config.locations.find(key);
        return it != config.locations.end() ? it->second.str() : SourceLocation{config.file.string()}.str();
    };
    if (config.version != 1)
        throw Error(ErrorCode::config, fmt::format("{}: version {} is not supported; use 1",
                                                   where("version"), config.version));
    if (!is_valid_client_id(config.client_id))
        throw Error(ErrorCode::config,
                    fmt::format("{}: key 'client_id': '{}' is not a valid client id; use 1 to 64 "
                                "letters, digits, '.', '_' or '-'",
                                where("client_id"), config.client_id));
    if (config.database.empty())
        throw Error(ErrorCode::config, fmt::format("{}: key 'database' is not set", where("database")));
    if (config.transport.plugin.empty())
        throw Error(ErrorCode::config,
                    fmt::format("{}: key 'transport' names no plugin", where("transport")));
    if (config.interval <= std::chrono::milliseconds(0))
        throw Error(ErrorCode::config, fmt::format("{}: key 'interval' must be positive", where("interval")));
}

}  // namespace nas_sync
