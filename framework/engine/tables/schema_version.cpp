#include "engine/tables/schema_version.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <fmt/format.h>

namespace nas_sync {
namespace {

// Primary weight of an ASCII character in ICU's root collation: whitespace,
// then punctuation and symbols in ICU's order, then digits, then letters
// (case-blind). Other bytes sort after letters, by value.
int primary_weight(unsigned char c) {
    static const std::string punctuation = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$";
    if (const auto p = punctuation.find(static_cast<char>(c)); p != std::string::npos) return 1 + static_cast<int>(p);
    if (c >= '0' && c <= '9') return 100 + (c - '0');
    if (c >= 'a' && c <= 'z') return 200 + (c - 'a');
    if (c >= 'A' && c <= 'Z') return 200 + (c - 'A');
    return 300 + c;
}

}  // namespace

bool locale_less(const std::string& a, const std::string& b) {
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        const int wa = primary_weight(static_cast<unsigned char>(a[i]));
        const int wb = primary_weight(static_cast<unsigned char>(b[i]));
        if (wa != wb) return wa < wb;
    }
    if (a.size() != b.size()) return a.size() < b.size();
    // Same letters: lowercase before uppercase, at the first difference.
    for (std::size_t i = 0; i < n; ++i) {
        const bool la = a[i] >= 'a' && a[i] <= 'z';
        const bool lb = b[i] >= 'a' && b[i] <= 'z';
        if (a[i] != b[i]) return la && !lb;
    }
    return false;
}

std::string auto_schema_version(const std::vector<TableInfo>& tables) {
    std::vector<const TableInfo*> ordered;
    for (const auto& t : tables)
        if (t.original_kind()) ordered.push_back(&t);
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const TableInfo* x, const TableInfo* y) { return locale_less(x->name, y->name); });
    std::string text;
    for (const auto* t : ordered) {
        if (!text.empty()) text += '|';
        text += t->name + "(";
        for (std::size_t i = 0; i < t->columns.size(); ++i) {
            const auto& c = t->columns[i];
            if (i) text += ',';
            text += fmt::format("{}:{}:{}:{}", c.name, c.declared_type, c.not_null ? 1 : 0, c.primary_key_position);
        }
        text += ")";
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
    std::string hex;
    for (unsigned i = 0; i < 8; ++i) hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

}  // namespace nas_sync
