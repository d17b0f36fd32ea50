// The values staged for grouped writes: slots reused across groups, each
// holding exactly what was pushed last, whatever it held before.
#include <doctest/doctest.h>

#include <string>

#include "database/staged_values.hpp"

using namespace nas_sync;

TEST_CASE("staged values reuse their slots' memory and hold exactly what was pushed") {
    StagedValues values;
    const std::string long_text(300, 'x');
    values.push(long_text);
    values.push(std::int64_t{7});
    values.push(Value(Blob{1, 2, 3}));
    REQUIRE(values.size() == 3);
    const char* first_slot = std::get<std::string>(values[0]).data();
    values.clear();
    CHECK(values.size() == 0);

    values.push(std::string("short"));  // into the string the long one left
    values.push(std::string("text where an integer was"));
    values.push(Value(Null{}));
    values.push(2.5);  // a slot never used before
    REQUIRE(values.size() == 4);
    CHECK(values[0] == Value(std::string("short")));
    CHECK(std::get<std::string>(values[0]).data() == first_slot);  // no new memory
    CHECK(std::get<std::string>(values[0]).capacity() >= long_text.size());
    CHECK(values[1] == Value(std::string("text where an integer was")));
    CHECK(values[2] == Value(Null{}));
    CHECK(values[3] == Value(2.5));
}
