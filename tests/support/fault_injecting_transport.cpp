#include "fault_injecting_transport.hpp"

#include <fstream>
#include <iterator>

#include "nas_sync/error.hpp"

namespace nas_sync::test {

void FaultInjectingTransport::fail_call(int n) {
    std::lock_guard lock(mutex_);
    fail_at_ = calls_ + n;
}
void FaultInjectingTransport::fail_all(bool on) {
    std::lock_guard lock(mutex_);
    fail_all_ = on;
}
void FaultInjectingTransport::fail_puts(const std::string& reason) {
    std::lock_guard lock(mutex_);
    put_failure_ = reason;
}
void FaultInjectingTransport::truncate_puts(bool on) {
    std::lock_guard lock(mutex_);
    truncate_puts_ = on;
}
void FaultInjectingTransport::hide(const std::string& name, int gets) {
    std::lock_guard lock(mutex_);
    hidden_[name] = gets;
}
void FaultInjectingTransport::stale_listings(bool on) {
    std::lock_guard lock(mutex_);
    stale_ = on;
    frozen_listings_.clear();
}
int FaultInjectingTransport::calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
}

void FaultInjectingTransport::count_call() {
    std::lock_guard lock(mutex_);
    ++calls_;
    if (fail_all_ || calls_ == fail_at_)
        throw Error(ErrorCode::io, "injected fault: the share did not answer (call " + std::to_string(calls_) + ")");
}

std::vector<ObjectInfo> FaultInjectingTransport::list(std::string_view prefix) {
    count_call();
    std::lock_guard lock(mutex_);
    if (!stale_) return inner_->list(prefix);
    auto& frozen = frozen_listings_[std::string(prefix)];
    if (!frozen) frozen = inner_->list(prefix);
    return *frozen;
}

void FaultInjectingTransport::put(const std::filesystem::path& local_file, std::string_view name) {
    count_call();
    bool truncate = false;
    {
        std::lock_guard lock(mutex_);
        truncate = truncate_puts_;
        if (!put_failure_.empty())
            throw Error(ErrorCode::io, "injected fault: cannot put '" + std::string(name) + "': " + put_failure_);
    }
    if (!truncate) return inner_->put(local_file, name);
    std::ifstream in(local_file, std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto torn = local_file.string() + ".torn";
    std::ofstream(torn, std::ios::binary) << data.substr(0, data.size() / 2);
    inner_->put(torn, name);
    std::filesystem::remove(torn);
}

void FaultInjectingTransport::count_read(std::string_view name) {
    count_call();
    std::lock_guard lock(mutex_);
    auto it = hidden_.find(std::string(name));
    if (it != hidden_.end() && it->second > 0) {
        --it->second;
        throw Error(ErrorCode::not_found, "injected fault: '" + std::string(name) + "' is missing for a moment");
    }
}

void FaultInjectingTransport::get(std::string_view name, const std::filesystem::path& local_file) {
    count_read(name);
    inner_->get(name, local_file);
}

std::string FaultInjectingTransport::read_first_bytes(std::string_view name, std::size_t length) {
    count_read(name);
    return inner_->read_first_bytes(name, length);
}

void FaultInjectingTransport::remove(std::string_view name) {
    count_call();
    inner_->remove(name);
}

}  // namespace nas_sync::test
