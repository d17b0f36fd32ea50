// FaultInjectingTransport: a test double that wraps any real transport and
// injects the faults a NAS produces. It is for tests only: everything it does
// not break, it forwards to the real transport.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "nas_sync/transport.hpp"

namespace nas_sync::test {

class FaultInjectingTransport final : public Transport {
public:
    explicit FaultInjectingTransport(std::shared_ptr<Transport> inner) : inner_(std::move(inner)) {}

    // The n-th call from now (1 = the next) throws Error(io).
    void fail_call(int n);
    // Every call throws Error(io), as when the share is gone.
    void fail_all(bool on);
    // put() fails with Error(io) and this reason ("No space left on device",
    // "Read-only file system"); "" turns it off.
    void fail_puts(const std::string& reason);
    // put() stores only the first half of the file: a torn object.
    void truncate_puts(bool on);
    // The next `gets` get() or read_first_bytes() calls of `name` throw
    // not_found while list() still shows it (SMB's non-atomic rename).
    void hide(const std::string& name, int gets);
    // list() keeps returning the listing it returned when this was switched on.
    void stale_listings(bool on);
    int calls() const;

    std::vector<ObjectInfo> list(std::string_view prefix) override;
    void put(const std::filesystem::path& local_file, std::string_view name) override;
    void get(std::string_view name, const std::filesystem::path& local_file) override;
    std::string read_first_bytes(std::string_view name, std::size_t length) override;
    void remove(std::string_view name) override;
    std::string describe() const override { return "fault-injecting(" + inner_->describe() + ")"; }
    std::vector<std::string> take_warnings() override { return inner_->take_warnings(); }

private:
    void count_call();  // throws when a failure is due
    void count_read(std::string_view name);  // count_call(), then not_found while the name is hidden

    std::shared_ptr<Transport> inner_;
    mutable std::mutex mutex_;
    int calls_ = 0;
    int fail_at_ = 0;
    bool fail_all_ = false;
    bool truncate_puts_ = false;
    std::string put_failure_;
    bool stale_ = false;
    std::map<std::string, std::optional<std::vector<ObjectInfo>>> frozen_listings_;
    std::map<std::string, int> hidden_;
};

}  // namespace nas_sync::test
