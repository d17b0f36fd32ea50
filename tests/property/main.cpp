// The property suites take their own options before doctest's:
//   --seeds N       how many seeds to run (default 300)
//   --first-seed S  the first seed (default 1)
//   --ops N         random operations per seed (default 40)
// A failing seed prints the exact command that replays it.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "property_options.hpp"

namespace nas_sync::test {
PropertyOptions property_options;
}

int main(int argc, char** argv) {
    auto& o = nas_sync::test::property_options;
    o.program = argv[0];
    std::vector<char*> rest{argv[0]};
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() { return i + 1 < argc ? std::stoi(argv[++i]) : 0; };
        if (arg == "--seeds")
            o.seeds = value();
        else if (arg == "--first-seed")
            o.first_seed = value();
        else if (arg == "--ops")
            o.ops = value();
        else
            rest.push_back(argv[i]);
    }
    doctest::Context context(static_cast<int>(rest.size()), rest.data());
    return context.run();
}
