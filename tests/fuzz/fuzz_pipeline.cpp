// Fuzz target: the pipeline loader. Any input either loads or is refused with
// a nas_sync::Error; anything else (a crash, another exception, a hang) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "nas_sync/error.hpp"
#include "nas_sync/pipeline.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        nas_sync::parse_pipeline(text, "/fuzz/nas-sync.yaml");
    } catch (const nas_sync::Error&) {
    }
    return 0;
}
