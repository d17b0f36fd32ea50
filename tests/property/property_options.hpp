#pragma once

#include <string>

namespace nas_sync::test {

struct PropertyOptions {
    std::string program;
    int seeds = 300;
    int first_seed = 1;
    int ops = 40;
};
extern PropertyOptions property_options;

}  // namespace nas_sync::test
