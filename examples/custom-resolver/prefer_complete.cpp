// Resolver `prefer-complete`: between two row states, keep the one with more
// non-NULL values (a half-filled form never overwrites a complete record);
// when both are as complete, pass to the next resolver. It decides from the
// two states only, so every client decides the same way.
#include <nas_sync/plugin.hpp>

#include <algorithm>

namespace {

std::size_t filled(const nas_sync::RowImage& row) {
    return static_cast<std::size_t>(std::count_if(row.values.begin(), row.values.end(), [](const nas_sync::Value& v) {
        return !std::holds_alternative<nas_sync::Null>(v);
    }));
}

class PreferComplete final : public nas_sync::ConflictResolver {
public:
    nas_sync::Resolution resolve(const nas_sync::Conflict& c) override {
        using Kind = nas_sync::RecordState::Kind;
        if (c.local.kind != Kind::row || c.remote.kind != Kind::row) return nas_sync::Resolution::pass;
        const auto local = filled(*c.local.row), remote = filled(*c.remote.row);
        if (local == remote) return nas_sync::Resolution::pass;
        return remote > local ? nas_sync::Resolution::take_remote : nas_sync::Resolution::keep_local;
    }
};

std::unique_ptr<nas_sync::ConflictResolver> make(const nas_sync::PluginOptions&) {
    return std::make_unique<PreferComplete>();
}

}  // namespace

NAS_SYNC_PLUGIN((nas_sync::PluginDescriptor{
    .kind = nas_sync::PluginKind::resolver,
    .name = "prefer-complete",
    .version = "1.0.0",
    .description = "Keeps the row with more filled-in columns; ties pass on",
    .options = {},
    .make_resolver = make,
}))
