// docs/configuration.md against the option tables it documents: the host's
// key table (config/pipeline_keys.hpp) and every built-in plugin's
// descriptor. A key or option added, removed, retyped or given another
// default without the docs fails here, so the reference cannot drift.
#include <doctest/doctest.h>

#include <map>
#include <sstream>

#include "config/option_values.hpp"
#include "config/pipeline_keys.hpp"
#include "plugins/plugin_registry.hpp"
#include "test_support.hpp"

using namespace nas_sync;
using namespace nas_sync::test;

namespace {

struct DocRow {
    std::string type;
    std::string default_value;
};

std::string trim(std::string s) {
    const auto first = s.find_first_not_of(" ");
    if (first == std::string::npos) return "";
    return s.substr(first, s.find_last_not_of(" ") - first + 1);
}

std::string unquote(std::string s) {
    s = trim(s);
    if (s.size() >= 2 && s.front() == '`' && s.back() == '`') return s.substr(1, s.size() - 2);
    return s;
}

// The rows of the first table after the line `heading`, up to the next
// heading: {name: {type, default}} from `| `name` | type | default | meaning |`.
std::map<std::string, DocRow> table_after(const std::string& doc, const std::string& heading) {
    std::istringstream in(doc);
    std::string line;
    bool inside = false;
    std::map<std::string, DocRow> rows;
    int table_lines = 0;
    while (std::getline(in, line)) {
        if (!inside) {
            inside = line == heading;
            continue;
        }
        if (line.starts_with("#")) break;
        if (!line.starts_with("|")) {
            if (table_lines > 0) break;  // the first table ended
            continue;
        }
        if (table_lines++ < 2) continue;  // header and separator
        std::vector<std::string> cells;
        std::istringstream row(line.substr(1));
        for (std::string cell; std::getline(row, cell, '|');) cells.push_back(cell);
        REQUIRE_MESSAGE(cells.size() >= 4, "a row under '" << heading << "' has fewer than 4 cells: " << line);
        rows[unquote(cells[0])] = {trim(cells[1]), unquote(cells[2])};
    }
    CHECK_MESSAGE(inside, "docs/configuration.md has no heading '" << heading << "'");
    return rows;
}

void check_rows(const std::map<std::string, DocRow>& documented, const std::map<std::string, DocRow>& declared,
                const std::string& where) {
    CAPTURE(where);
    for (const auto& entry : declared) {  // not a structured binding: doctest's macros capture it
        const std::string& name = entry.first;
        const DocRow& row = entry.second;
        CAPTURE(name);
        const auto found = documented.find(name);
        REQUIRE_MESSAGE(found != documented.end(), "'" << name << "' is not documented under " << where);
        CHECK(found->second.type == row.type);
        CHECK(found->second.default_value == row.default_value);
    }
    for (const auto& entry : documented) {
        const std::string& name = entry.first;
        CHECK_MESSAGE(declared.count(name), "'" << name << "' is documented under " << where << " but does not exist");
    }
}

std::map<std::string, DocRow> declared_options(std::span<const OptionSpec> options) {
    std::map<std::string, DocRow> out;
    for (const auto& o : options) out[std::string(o.name)] = {std::string(to_string(o.type)), shown_default(o)};
    return out;
}

}  // namespace

TEST_CASE("docs/configuration.md documents every pipeline key as the key table declares it") {
    const std::string doc = read_file(source_dir() / "docs" / "configuration.md");
    std::map<std::string, DocRow> declared;
    for (const auto& key : pipeline_keys())
        declared[std::string(key.spec.name)] = {key_type_name(key), key.kind == KeyKind::value || key.spec.required
                                                                        ? shown_default(key.spec)
                                                                        : std::string(key.spec.default_value)};
    check_rows(table_after(doc, "## Top-level keys"), declared, "Top-level keys");
    check_rows(table_after(doc, "### `journal:` keys"), declared_options(journal_keys()), "journal: keys");
}

TEST_CASE("docs/configuration.md documents every option of every built-in plugin as its option table declares it") {
    const std::string doc = read_file(source_dir() / "docs" / "configuration.md");
    const PluginRegistry registry({build_plugin_dir()});
    REQUIRE(registry.plugins().size() >= 5);
    for (const auto& plugin : registry.plugins()) {
        const std::string name(plugin.descriptor->name);
        // "#### `fs`: a mounted NAS or any local folder"
        std::istringstream in(doc);
        std::string heading;
        for (std::string line; std::getline(in, line);)
            if (line.starts_with("#### `" + name + "`")) heading = line;
        REQUIRE_MESSAGE(!heading.empty(), "plugin '" << name << "' has no '#### `" << name << "`' section");
        check_rows(table_after(doc, heading), declared_options(plugin.descriptor->options), "plugin " + name);
    }
}
