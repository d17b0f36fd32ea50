#include "object_layout.hpp"

#include <nas_sync/error.hpp>

#include <nlohmann/json.hpp>
#include <openssl/rand.h>

#include <chrono>
#include <ctime>

namespace nas_sync::nats_transport {

std::string Layout::metadata(std::string_view name) const { return "$O." + bucket + ".M." + base64url(name); }

std::string base64url(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
    return out;
}

std::optional<std::string> decode_base64(std::string_view text) {
    std::string standard(text);
    for (char& c : standard) {
        if (c == '-') c = '+';
        else if (c == '_') c = '/';
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                        c == '/' || c == '=';
        if (!ok) return std::nullopt;
    }
    const std::size_t first_pad = standard.find('=');
    const std::size_t data_chars = first_pad == std::string::npos ? standard.size() : first_pad;
    if (standard.find_first_not_of('=', data_chars) != std::string::npos || data_chars % 4 == 1) return std::nullopt;
    standard.resize(data_chars);
    while (standard.size() % 4 != 0) standard += '=';
    std::string out(standard.size() / 4 * 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(standard.data()), static_cast<int>(standard.size()));
    if (n < 0) return std::nullopt;
    // EVP_DecodeBlock counts the bytes the padding stands for.
    out.resize(static_cast<std::size_t>(n) - (standard.size() - data_chars));
    return out;
}

std::string new_nuid() {
    static constexpr char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::string out;
    while (out.size() < 22) {
        unsigned char random[32];
        if (RAND_bytes(random, sizeof random) != 1)
            throw Error(ErrorCode::internal, "the OpenSSL random generator failed");
        for (unsigned char r : random)
            if (r < 248 && out.size() < 22) out += digits[r % 62];  // 248 = 4 * 62: no bias
    }
    return out;
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
        EVP_MD_CTX_free(ctx_);
        throw Error(ErrorCode::internal, "OpenSSL cannot start a SHA-256 digest");
    }
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::update(const void* data, std::size_t size) {
    if (size > 0 && EVP_DigestUpdate(ctx_, data, size) != 1)
        throw Error(ErrorCode::internal, "OpenSSL SHA-256 digest failed");
}

Sha256Digest Sha256::finish() {
    Sha256Digest out{};
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(ctx_, out.data(), &n) != 1 || n != out.size())
        throw Error(ErrorCode::internal, "OpenSSL SHA-256 digest failed");
    return out;
}

std::string digest_text(const Sha256Digest& digest) {
    return "SHA-256=" + base64url(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

bool digest_matches(std::string_view text, const Sha256Digest& digest) {
    constexpr std::string_view prefix = "SHA-256=";
    if (!text.starts_with(prefix)) return false;
    const auto bytes = decode_base64(text.substr(prefix.size()));
    return bytes && bytes->size() == digest.size() && std::equal(bytes->begin(), bytes->end(), digest.begin(),
                                                                 [](char a, unsigned char b) {
                                                                     return static_cast<unsigned char>(a) == b;
                                                                 });
}

namespace {

// RFC 3339 with nanoseconds in UTC, the way Go writes a time.Time.
std::string utc_now_rfc3339() {
    const auto now = std::chrono::system_clock::now();
    const auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(now);
    const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now - seconds).count();
    const std::time_t t = std::chrono::system_clock::to_time_t(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(nanos));
    return text;
}

}  // namespace

std::string encode_info(const StoredInfo& info, const std::string& bucket) {
    nlohmann::ordered_json j;
    j["name"] = info.name;
    j["options"] = {{"max_chunk_size", chunk_size}};
    j["bucket"] = bucket;
    j["nuid"] = info.nuid;
    j["size"] = info.size;
    j["mtime"] = utc_now_rfc3339();
    j["chunks"] = info.chunks;
    if (!info.digest.empty()) j["digest"] = info.digest;
    if (info.deleted) j["deleted"] = true;
    return j.dump();
}

std::optional<StoredInfo> decode_info(std::string_view json, std::string& problem) {
    const auto j = nlohmann::json::parse(json, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        problem = "its metadata is not JSON";
        return std::nullopt;
    }
    StoredInfo info;
    auto text = [&](const char* key, std::string& out) {
        const auto it = j.find(key);
        if (it == j.end() || it->is_null()) return true;
        if (!it->is_string()) return false;
        out = it->get<std::string>();
        return true;
    };
    auto count = [&](const char* key, std::uint64_t& out) {
        const auto it = j.find(key);
        if (it == j.end() || it->is_null()) return true;
        if (!it->is_number_unsigned()) return false;
        out = it->get<std::uint64_t>();
        return true;
    };
    if (!text("name", info.name) || !text("nuid", info.nuid) || !text("digest", info.digest) ||
        !count("size", info.size) || !count("chunks", info.chunks)) {
        problem = "its metadata has a field of the wrong type";
        return std::nullopt;
    }
    if (const auto it = j.find("deleted"); it != j.end() && !it->is_null()) {
        if (!it->is_boolean()) {
            problem = "its metadata has a field of the wrong type";
            return std::nullopt;
        }
        info.deleted = it->get<bool>();
    }
    if (const auto it = j.find("options"); it != j.end() && it->is_object())
        info.link = it->contains("link") && !(*it)["link"].is_null();
    if (!info.deleted && !info.link) {
        // A nuid becomes a subject token: nothing that could reach another subject.
        bool nuid_ok = !info.nuid.empty() && info.nuid.size() <= 64;
        for (char c : info.nuid)
            nuid_ok = nuid_ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                  c == '-' || c == '_');
        if (!nuid_ok) {
            problem = "its metadata names no usable chunk id (nuid)";
            return std::nullopt;
        }
        // Chunks may be of any size up to the server's payload limit, but
        // never empty and never more than there are bytes.
        if (info.chunks > info.size || (info.size > 0 && info.chunks == 0)) {
            problem = "its metadata claims " + std::to_string(info.size) + " bytes in " +
                      std::to_string(info.chunks) + " chunks";
            return std::nullopt;
        }
    }
    return info;
}

}  // namespace nas_sync::nats_transport
