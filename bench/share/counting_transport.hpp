// CountingTransport: forwards every call to the transport a pipeline names and
// counts them, so that the bench can say what one sync asks of the share.
#pragma once

#include <cstdint>
#include <memory>

#include "nas_sync/transport.hpp"

namespace bench {

struct TransportCalls {
    std::uint64_t list = 0, get = 0, first_bytes = 0, put = 0, remove = 0;

    TransportCalls operator-(const TransportCalls& earlier) const {
        return {list - earlier.list, get - earlier.get, first_bytes - earlier.first_bytes, put - earlier.put,
                remove - earlier.remove};
    }
    TransportCalls& operator+=(const TransportCalls& more) {
        list += more.list, get += more.get, first_bytes += more.first_bytes, put += more.put, remove += more.remove;
        return *this;
    }
};

class CountingTransport final : public nas_sync::Transport {
public:
    // Counts into `calls`, which the caller reads between syncs (one thread at a time, as for any transport).
    CountingTransport(std::shared_ptr<nas_sync::Transport> inner, std::shared_ptr<TransportCalls> calls)
        : inner_(std::move(inner)), calls_(std::move(calls)) {}

    std::vector<nas_sync::ObjectInfo> list(std::string_view prefix) override {
        ++calls_->list;
        return inner_->list(prefix);
    }
    void put(const std::filesystem::path& local_file, std::string_view name) override {
        ++calls_->put;
        inner_->put(local_file, name);
    }
    void get(std::string_view name, const std::filesystem::path& local_file) override {
        ++calls_->get;
        inner_->get(name, local_file);
    }
    std::string read_first_bytes(std::string_view name, std::size_t length) override {
        ++calls_->first_bytes;
        return inner_->read_first_bytes(name, length);
    }
    void remove(std::string_view name) override {
        ++calls_->remove;
        inner_->remove(name);
    }
    std::string describe() const override { return inner_->describe(); }
    std::vector<std::string> take_warnings() override { return inner_->take_warnings(); }

private:
    std::shared_ptr<nas_sync::Transport> inner_;
    std::shared_ptr<TransportCalls> calls_;
};

}  // namespace bench
