#include "host/plugin_boundary.hpp"

#include "nas_sync/error.hpp"

namespace nas_sync {

void rethrow_from_plugin() {
    try {
        throw;
    } catch (const Error& e) {
        throw Error(e.code(), e.what());
    } catch (const std::exception& e) {
        throw Error(ErrorCode::internal, std::string("a plugin failed: ") + e.what());
    } catch (...) {
        throw Error(ErrorCode::internal, "a plugin threw something that is not an exception");
    }
}

namespace {

class HostSideTransport final : public Transport {
public:
    explicit HostSideTransport(std::shared_ptr<Transport> inner) : inner_(std::move(inner)) {}

    std::vector<ObjectInfo> list(std::string_view prefix) override {
        try {
            return inner_->list(prefix);
        } catch (...) {
            rethrow_from_plugin();
        }
    }
    void put(const std::filesystem::path& local_file, std::string_view name) override {
        try {
            inner_->put(local_file, name);
        } catch (...) {
            rethrow_from_plugin();
        }
    }
    void get(std::string_view name, const std::filesystem::path& local_file) override {
        try {
            inner_->get(name, local_file);
        } catch (...) {
            rethrow_from_plugin();
        }
    }
    std::string read_first_bytes(std::string_view name, std::size_t length) override {
        try {
            return inner_->read_first_bytes(name, length);
        } catch (...) {
            rethrow_from_plugin();
        }
    }
    void remove(std::string_view name) override {
        try {
            inner_->remove(name);
        } catch (...) {
            rethrow_from_plugin();
        }
    }
    std::string describe() const override {
        try {
            return inner_->describe();
        } catch (...) {
            rethrow_from_plugin();
        }
    }
    std::vector<std::string> take_warnings() override {
        try {
            return inner_->take_warnings();
        } catch (...) {
            rethrow_from_plugin();
        }
    }

private:
    std::shared_ptr<Transport> inner_;
};

class HostSideResolver final : public ConflictResolver {
public:
    explicit HostSideResolver(std::shared_ptr<ConflictResolver> inner) : inner_(std::move(inner)) {}
    Resolution resolve(const Conflict& conflict) override {
        try {
            return inner_->resolve(conflict);
        } catch (...) {
            rethrow_from_plugin();
        }
    }

private:
    std::shared_ptr<ConflictResolver> inner_;
};

class HostSideHook final : public SyncHook {
public:
    explicit HostSideHook(std::shared_ptr<SyncHook> inner) : inner_(std::move(inner)) {}
    void handle(const SyncEvent& event) override {
        try {
            inner_->handle(event);
        } catch (...) {
            rethrow_from_plugin();
        }
    }

private:
    std::shared_ptr<SyncHook> inner_;
};

}  // namespace

std::shared_ptr<Transport> host_side(std::shared_ptr<Transport> plugin_transport) {
    return std::make_shared<HostSideTransport>(std::move(plugin_transport));
}

std::shared_ptr<ConflictResolver> host_side(std::shared_ptr<ConflictResolver> plugin_resolver) {
    return std::make_shared<HostSideResolver>(std::move(plugin_resolver));
}

std::shared_ptr<SyncHook> host_side(std::shared_ptr<SyncHook> plugin_hook) {
    return std::make_shared<HostSideHook>(std::move(plugin_hook));
}

}  // namespace nas_sync
