// A plain NATS client for tests that look at (or tamper with) what the nats
// transport stored: the stream's settings, its messages, and messages
// published by hand, as a crashed or hostile writer would leave them.
#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nas_sync::test {

struct StoredMessage {
    std::string subject;
    std::string data;
    std::uint64_t sequence = 0;
    std::string rollup_header;  // Nats-Rollup, "" when absent
};

struct StreamSummary {
    std::vector<std::string> subjects;
    bool allow_rollup = false, allow_direct = false, discard_new = false, file_storage = false;
    std::int64_t replicas = 0;
    std::uint64_t messages = 0;
    std::string leader;  // server_name of the stream's leader, in a cluster
};

class RawNats {
public:
    explicit RawNats(const std::vector<std::string>& servers);
    ~RawNats();
    RawNats(const RawNats&) = delete;
    RawNats& operator=(const RawNats&) = delete;

    std::optional<StreamSummary> stream(const std::string& name);
    // How many messages the stream holds on subjects matching `filter`.
    std::uint64_t messages_on(const std::string& stream, const std::string& filter);
    std::optional<StoredMessage> last_message(const std::string& stream, const std::string& subject);
    // Every message on `subject`, in stream order.
    std::vector<StoredMessage> messages(const std::string& stream, const std::string& subject);
    void publish(const std::string& subject, const std::string& data, bool rollup = false);
    // A stream with the given subjects and only these settings changed from the defaults.
    void add_stream(const std::string& name, const std::vector<std::string>& subjects, bool allow_rollup,
                    bool allow_direct, bool memory = false);

    // Hears the messages any client publishes on `subject` (wildcards
    // allowed) from its creation on: requests to the JetStream API, say.
    class Listener {
    public:
        Listener(RawNats& nats, const std::string& subject);
        ~Listener();
        Listener(const Listener&) = delete;
        Listener& operator=(const Listener&) = delete;
        // The payloads of those the server sent since the last call (a round trip to it first).
        std::vector<std::string> heard();

    private:
        natsConnection* nc_;
        natsSubscription* sub_ = nullptr;
    };

private:
    natsConnection* nc_ = nullptr;
    jsCtx* js_ = nullptr;
};

}  // namespace nas_sync::test
