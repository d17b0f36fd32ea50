// Reading the pipeline file: YAML -> PipelineConfig, with every error naming
// FILE:LINE:COL and the key.
#include <yaml-cpp/yaml.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "config/option_values.hpp"
#include "config/pipeline_keys.hpp"
#include "nas_sync/error.hpp"
#include "nas_sync/pipeline.hpp"

namespace nas_sync {

std::string SourceLocation::str() const {
    if (file.empty()) return "pipeline";
    if (line == 0) return file;
    return fmt::format("{}:{}:{}", file, line, column);
}

ConfigError::ConfigError(SourceLocation location, std::string key, std::string message)
    : Error(ErrorCode::config, location.str() + ": " + message),
      location_(std::move(location)),
      key_(std::move(key)),
      message_(std::move(message)) {}

bool is_valid_client_id(const std::string& id) {
    // Checked for every name of every listing: by hand, not with std::regex.
    const auto allowed = [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '-';
    };
    // "." and ".." would name the share's own folders in object names (journal/../).
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), allowed) && id != "." && id != "..";
}

std::chrono::milliseconds parse_duration(const std::string& text, const std::string& what) {
    std::string problem;
    const auto duration = read_duration(text, problem);
    if (!duration) throw Error(ErrorCode::config, fmt::format("{}: '{}' {}", what, text, problem));
    return *duration;
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
            fail(e.mark, "", "not valid YAML: " + e.msg);
        }
        PipelineConfig config;
        config.file = file_;
        config.base_dir = file_.has_parent_path() ? file_.parent_path() : std::filesystem::path(".");
        config.base_dir = std::filesystem::absolute(config.base_dir).lexically_normal();
        base_dir_ = config.base_dir;
        if (!root.IsMap())
            fail(root.Mark(), "", "the pipeline file must be a YAML map of keys (version, client_id, database, transport, ...)");

        // Every key known, and given once (yaml-cpp keeps both of a repeated
        // key, and node[key] would quietly take the first).
        std::map<std::string, YAML::Node> given;
        for (const auto& kv : root) {
            const std::string key = key_name(kv.first);
            if (!find_pipeline_key(key)) {
                std::vector<std::string> names;
                for (const auto& k : pipeline_keys()) names.emplace_back(k.spec.name);
                fail(kv.first.Mark(), key, fmt::format("unknown key '{}'; valid keys: {}", key, fmt::join(names, ", ")));
            }
            if (given.count(key))
                fail(kv.first.Mark(), key,
                     fmt::format("key '{}' is given twice (first at line {}); keep one", key, config.locations[key].line));
            given[key] = kv.second;
            config.locations[key] = location(kv.second.Mark());
        }
        for (const auto& key : pipeline_keys())
            if (key.spec.required && !given.count(std::string(key.spec.name)))
                throw ConfigError({file_.string()}, std::string(key.spec.name),
                                  fmt::format("missing required key '{}'", key.spec.name));
        for (const auto& key : pipeline_keys()) {
            const std::string name(key.spec.name);
            const auto node = given.find(name);
            if (node == given.end()) continue;  // PipelineConfig's default (tested equal to the table's)
            switch (key.kind) {
                case KeyKind::value: set_value(config, key.spec, node->second); break;
                case KeyKind::plugin_section:
                    (name == "transport" ? config.transport : config.discovery) = section(node->second, name);
                    break;
                case KeyKind::plugin_sections:
                    if (name == "hooks")
                        config.hooks = hook_sections(node->second);
                    else
                        config.resolvers = resolver_sections(node->second);
                    break;
                case KeyKind::keys: config.journal = journal_options(node->second, config); break;
            }
        }
        validate_pipeline(config);
        return config;
    }

private:
    // A value as written: a scalar (${NAME} replaced), a list or a map of scalars.
    RawOption::Value raw(const YAML::Node& node, const std::string& key) const {
        if (node.IsSequence()) return list(node, key);
        if (node.IsMap()) return map(node, key);
        return scalar(node, key);
    }

    // A top-level value, checked against its row of the key table.
    void set_value(PipelineConfig& config, const OptionSpec& spec, const YAML::Node& node) const {
        const std::string name(spec.name);
        const OptionValue value =
            convert_option(spec, raw(node, name), location(node.Mark()), name, fmt::format("key '{}'", name), base_dir_);
        if (name == "version") {
            if (std::get<std::int64_t>(value) != 1)
                fail(node.Mark(), name,
                     fmt::format("key 'version': '{}' is not supported; this nas-sync reads pipeline version 1",
                                 std::get<std::int64_t>(value)));
        } else if (name == "client_id") {
            config.client_id = std::get<std::string>(value);  // checked by validate_pipeline
        } else if (name == "database") {
            config.database = std::get<std::string>(value);
        } else if (name == "plugin_paths") {
            for (const auto& p : std::get<std::vector<std::string>>(value)) config.plugin_paths.push_back(resolve(p));
        } else if (name == "exchange") {
            const auto& layout = std::get<std::string>(value);
            if (layout == "snapshot")
                config.exchange = ExchangeLayout::snapshot;
            else if (layout == "journal")
                config.exchange = ExchangeLayout::journal;
            else
                fail(node.Mark(), name, fmt::format("key 'exchange': '{}' is not a layout; valid: snapshot, journal", layout));
        } else if (name == "interval") {
            config.interval = std::get<std::chrono::milliseconds>(value);
        } else if (name == "changelog_retention") {
            config.changelog_retention = std::get<std::chrono::milliseconds>(value);
        } else if (name == "conflict_log_retention") {
            config.conflict_log_retention = std::get<std::chrono::milliseconds>(value);
        } else if (name == "merged_publish_every") {
            config.merged_publish_every = std::get<std::chrono::milliseconds>(value);
        } else if (name == "heartbeat") {
            config.heartbeat = std::get<bool>(value);
        } else if (name == "schema_version") {
            config.schema_version = std::get<std::string>(value);
            if (config.schema_version.empty())
                fail(node.Mark(), name, "key 'schema_version' is empty; write auto or a version string");
        } else {
            throw Error(ErrorCode::internal, fmt::format("{}: key '{}' has no reader", at(node.Mark()), name));
        }
    }

    std::vector<PluginSection> resolver_sections(const YAML::Node& node) const {
        if (!node.IsSequence() || node.size() == 0)
            fail(node.Mark(), "resolvers", "key 'resolvers' must be a non-empty list of {plugin: NAME, ...} entries");
        std::vector<PluginSection> sections;
        for (std::size_t i = 0; i < node.size(); ++i)
            sections.push_back(section(node[i], fmt::format("resolvers[{}]", i), SectionKind::resolver));
        return sections;
    }

    // `hooks:` may be empty (no hooks, as when it is not given).
    std::vector<PluginSection> hook_sections(const YAML::Node& node) const {
        if (!node.IsSequence())
            fail(node.Mark(), "hooks", "key 'hooks' must be a list of {plugin: NAME, on: [EVENT, ...], ...} entries");
        std::vector<PluginSection> sections;
        for (std::size_t i = 0; i < node.size(); ++i)
            sections.push_back(section(node[i], fmt::format("hooks[{}]", i), SectionKind::hook));
        return sections;
    }

    // A hook's `on:`: a non-empty list of known event names, each once.
    std::vector<std::string> hook_events(const YAML::Node& node, const std::string& key) const {
        if (!node.IsSequence() || node.size() == 0)
            fail(node.Mark(), key,
                 fmt::format("key '{}' must be a non-empty list of events, like [complete, error]; valid: {}", key,
                             fmt::join(hook_event_names, ", ")));
        std::vector<std::string> events = list(node, key);
        for (std::size_t i = 0; i < events.size(); ++i) {
            if (std::find(std::begin(hook_event_names), std::end(hook_event_names), events[i]) ==
                std::end(hook_event_names))
                fail(node[i].Mark(), key,
                     fmt::format("key '{}': '{}' is not an event; valid: {}", key, events[i],
                                 fmt::join(hook_event_names, ", ")));
            if (std::find(events.begin(), events.begin() + static_cast<std::ptrdiff_t>(i), events[i]) !=
                events.begin() + static_cast<std::ptrdiff_t>(i))
                fail(node[i].Mark(), key, fmt::format("key '{}': event '{}' is listed twice; keep one", key, events[i]));
        }
        return events;
    }

    JournalOptions journal_options(const YAML::Node& node, const PipelineConfig& config) const {
        if (config.exchange != ExchangeLayout::journal)
            fail(node.Mark(), "journal", "key 'journal' applies only with 'exchange: journal'");
        if (!node.IsMap()) fail(node.Mark(), "journal", "key 'journal' must be a map, like {base_every: 100}");
        JournalOptions options;
        std::map<std::string, int> seen;
        for (const auto& kv : node) {
            const std::string name = key_name(kv.first);
            const OptionSpec* spec = nullptr;
            for (const auto& k : journal_keys())
                if (k.name == name) spec = &k;
            if (!spec) {
                std::vector<std::string> names;
                for (const auto& k : journal_keys()) names.emplace_back(k.name);
                fail(kv.first.Mark(), "journal." + name,
                     fmt::format("unknown key 'journal.{}'; valid keys: {}", name, fmt::join(names, ", ")));
            }
            const std::string key = "journal." + name;
            given_once(seen, kv.first, name, key, "");
            const std::string label = fmt::format("key '{}'", key);
            const OptionValue value =
                convert_option(*spec, raw(kv.second, key), location(kv.second.Mark()), key, label, base_dir_);
            if (name == "base_every") {
                const auto n = std::get<std::int64_t>(value);
                if (n < 1 || n > 1'000'000)
                    fail(kv.second.Mark(), key, label + ": write a whole number of segments, 1 to 1000000");
                options.base_every = static_cast<int>(n);
            } else if (name == "snapshot_every") {
                options.snapshot_every = std::get<std::chrono::milliseconds>(value);
            } else {
                options.retire_after = std::get<std::chrono::milliseconds>(value);
            }
        }
        return options;
    }
    SourceLocation location(const YAML::Mark& mark) const {
        if (mark.is_null()) return {file_.string(), 0, 0};
        return {file_.string(), mark.line + 1, mark.column + 1};
    }
    std::string at(const YAML::Mark& mark) const { return location(mark).str(); }
    [[noreturn]] void fail(const YAML::Mark& mark, const std::string& key, const std::string& message) const {
        throw ConfigError(location(mark), key, message);
    }

    // ${NAME} -> the environment variable NAME; unset is an error.
    std::string substitute(const std::string& text, const YAML::Node& node, const std::string& key) const {
        std::string out;
        std::size_t pos = 0;
        while (true) {
            const auto start = text.find("${", pos);
            if (start == std::string::npos) break;
            const auto end = text.find('}', start);
            if (end == std::string::npos)
                fail(node.Mark(), key, fmt::format("key '{}': '${{' without a closing '}}'", key));
            const std::string name = text.substr(start + 2, end - start - 2);
            static const std::regex valid("[A-Za-z_][A-Za-z0-9_]*");
            if (!std::regex_match(name, valid))
                fail(node.Mark(), key, fmt::format("key '{}': '${{{}}}' is not an environment variable name", key, name));
            const char* value = std::getenv(name.c_str());
            if (value == nullptr)
                fail(node.Mark(), key, fmt::format("key '{}': environment variable '{}' is not set", key, name));
            out += text.substr(pos, start - pos);
            out += value;
            pos = end + 1;
        }
        out += text.substr(pos);
        return out;
    }

    // yaml-cpp keeps both of a repeated key, and node[key] would quietly take
    // one of them: a key given twice in one map (`seen`: name -> its line) is
    // refused at the second, naming the first. `in` names the map ("" at the
    // top of a section whose key already says it).
    void given_once(std::map<std::string, int>& seen, const YAML::Node& key_node, const std::string& name,
                    const std::string& key, const std::string& in) const {
        const auto first = seen.find(name);
        if (first != seen.end())
            fail(key_node.Mark(), key,
                 fmt::format("key '{}' is given twice{} (first at line {}); keep one", in.empty() ? key : name,
                             in.empty() ? "" : " in '" + in + "'", first->second));
        seen[name] = key_node.Mark().line + 1;
    }

    // A map key must be plain text: not a list, a map or empty.
    std::string key_name(const YAML::Node& node) const {
        if (!node.IsScalar() || node.Scalar().empty())
            fail(node.Mark(), "", "a key must be a plain name");
        return node.Scalar();
    }

    std::string scalar(const YAML::Node& node, const std::string& key) const {
        if (!node.IsScalar())
            fail(node.Mark(), key, fmt::format("key '{}' must be a single value", key));
        // YAML aliases repeat a value without repeating its text: a file of a
        // few hundred KB can stand for gigabytes. No pipeline needs that much.
        values_bytes_ += node.Scalar().size();
        if (values_bytes_ > max_values_bytes)
            fail(node.Mark(), key,
                 fmt::format("the pipeline's values add up to more than {} bytes (YAML aliases repeating a large "
                             "value?); a pipeline file needs far less",
                             max_values_bytes));
        return substitute(node.Scalar(), node, key);
    }

    std::vector<std::string> list(const YAML::Node& node, const std::string& key) const {
        if (!node.IsSequence())
            fail(node.Mark(), key, fmt::format("key '{}' must be a list, like [a, b]", key));
        std::vector<std::string> out;
        for (std::size_t i = 0; i < node.size(); ++i)
            out.push_back(scalar(node[i], fmt::format("{}[{}]", key, i)));
        return out;
    }

    std::map<std::string, std::string> map(const YAML::Node& node, const std::string& key) const {
        if (!node.IsMap())
            fail(node.Mark(), key, fmt::format("key '{}' must be a map, like {{a: b}}", key));
        std::map<std::string, std::string> out;
        std::map<std::string, int> lines;
        for (const auto& kv : node) {
            const auto k = scalar(kv.first, key);
            given_once(lines, kv.first, k, key + "." + k, key);
            out[k] = scalar(kv.second, key + "." + k);
        }
        return out;
    }

    std::filesystem::path resolve(const std::string& p) const {
        std::filesystem::path result(p);
        if (result.is_relative()) result = base_dir_ / result;
        return result.lexically_normal();
    }

    enum class SectionKind { single, resolver, hook };

    PluginSection section(const YAML::Node& node, const std::string& key, SectionKind kind = SectionKind::single) const {
        if (!node.IsMap())
            fail(node.Mark(), key, fmt::format("key '{}' must be a map with a 'plugin' key", key));
        PluginSection s;
        s.key = key;
        s.location = location(node.Mark());
        if (!node["plugin"])
            fail(node.Mark(), key, fmt::format("key '{}' has no 'plugin' key naming the plugin to use", key));
        std::map<std::string, int> seen;  // name -> its line
        for (const auto& kv : node) {
            const std::string name = key_name(kv.first);
            const std::string option_key = key + "." + name;
            given_once(seen, kv.first, name, option_key, key);
            if (name == "plugin") {
                s.plugin = scalar(kv.second, option_key);
            } else if (name == "tables" && kind == SectionKind::resolver) {
                s.tables = list(kv.second, option_key);
            } else if (name == "on" && kind == SectionKind::hook) {
                s.on = hook_events(kv.second, option_key);
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
    static constexpr std::size_t max_values_bytes = 1u << 20;
    mutable std::size_t values_bytes_ = 0;  // of every value read so far (scalar)
};

}  // namespace

PipelineConfig parse_pipeline(const std::string& yaml_text, const std::filesystem::path& file) {
    try {
        return PipelineReader(file).read(yaml_text);
    } catch (const YAML::Exception& e) {  // anything yaml-cpp refuses that the reader did not name itself
        throw ConfigError({file.string(), e.mark.line + 1, e.mark.column + 1}, "", "not valid YAML: " + e.msg);
    }
}

PipelineConfig load_pipeline_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw ConfigError({file.string()}, "", "cannot read the pipeline file (does it exist?)");
    std::ostringstream text;
    text << in.rdbuf();
    return parse_pipeline(text.str(), file);
}

void validate_pipeline(const PipelineConfig& config) {
    auto fail = [&](const std::string& key, const std::string& message) {
        const auto it = config.locations.find(key);
        throw ConfigError(it != config.locations.end() ? it->second : SourceLocation{config.file.string()}, key, message);
    };
    if (config.version != 1) fail("version", fmt::format("version {} is not supported; use 1", config.version));
    if (!is_valid_client_id(config.client_id))
        fail("client_id", fmt::format("key 'client_id': '{}' is not a valid client id; use 1 to 64 letters, digits, "
                                      "'.', '_' or '-' (not '.' or '..')",
                                      config.client_id));
    if (config.database.empty()) fail("database", "key 'database' is not set");
    if (config.transport.plugin.empty()) fail("transport", "key 'transport' names no plugin");
    if (config.interval <= std::chrono::milliseconds(0)) fail("interval", "key 'interval' must be positive");
    // A pipeline built in code has not been through the reader's check of `on:`.
    for (const auto& hook : config.hooks)
        for (const auto& event : hook.on)
            if (std::find(std::begin(hook_event_names), std::end(hook_event_names), event) == std::end(hook_event_names))
                throw ConfigError(hook.location, hook.key + ".on",
                                  fmt::format("key '{}.on': '{}' is not an event; valid: {}", hook.key, event,
                                              fmt::join(hook_event_names, ", ")));
}

}  // namespace nas_sync
