// How objects sit in JetStream: NATS's own object-store layout (ADR-20, as
// nats.go writes it), so `nats object ls/get` read what we write.
//
//   stream    OBJ_<bucket>, subjects $O.<bucket>.C.> and $O.<bucket>.M.>
//   chunks    $O.<bucket>.C.<nuid>: the object's bytes in 128 KiB messages
//   metadata  $O.<bucket>.M.<base64url(name)>: ObjectInfo JSON, rolled up per
//             subject (Nats-Rollup: sub), so only the newest one is kept
//
// Every put writes its chunks under a fresh nuid, then its metadata; the
// metadata names the nuid, the size, the chunk count and the SHA-256 digest.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <openssl/evp.h>

namespace nas_sync::nats_transport {

inline constexpr std::size_t chunk_size = 128 * 1024;

struct Layout {
    std::string bucket;

    std::string stream() const { return "OBJ_" + bucket; }
    std::string all_chunks() const { return "$O." + bucket + ".C.>"; }
    std::string all_metadata() const { return "$O." + bucket + ".M.>"; }
    std::string chunks(const std::string& nuid) const { return "$O." + bucket + ".C." + nuid; }
    std::string metadata(std::string_view name) const;
};

// base64url with padding, as nats.go encodes object names and digests.
std::string base64url(std::string_view bytes);
// Either base64 alphabet, padding optional; nullopt for anything else.
std::optional<std::string> decode_base64(std::string_view text);

// A fresh 22-character NUID-like id (base62, from the OpenSSL random generator).
std::string new_nuid();

using Sha256Digest = std::array<unsigned char, 32>;

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(const void* data, std::size_t size);
    Sha256Digest finish();

private:
    EVP_MD_CTX* ctx_;
};

// "SHA-256=<base64url>", the ObjectInfo digest field.
std::string digest_text(const Sha256Digest& digest);
bool digest_matches(std::string_view text, const Sha256Digest& digest);

// The fields of an ObjectInfo we write and read.
struct StoredInfo {
    std::string name;
    std::string nuid;
    std::uint64_t size = 0;
    std::uint64_t chunks = 0;
    std::string digest;
    bool deleted = false;
    bool link = false;  // a link to another object or bucket: not an object we can read
};

// The metadata JSON for `info` in `bucket`; mtime is the writer's clock (readers
// use the message time, as NATS's own clients do).
std::string encode_info(const StoredInfo& info, const std::string& bucket);
// nullopt when `json` is not an ObjectInfo we can trust: `problem` says why.
std::optional<StoredInfo> decode_info(std::string_view json, std::string& problem);

}  // namespace nas_sync::nats_transport
