#include "cli/loop_watch.hpp"

namespace nas_sync::cli {

LoopWatch::LoopWatch(Clock::duration interval, Clock::duration limit)
    : interval_(interval), limit_(limit), last_(Clock::now()) {}

void LoopWatch::sync_started() {
    std::lock_guard lock(mutex_);
    syncing_ = true;
    last_ = Clock::now();
}

void LoopWatch::sign_of_life() {
    std::lock_guard lock(mutex_);
    last_ = Clock::now();
}

void LoopWatch::sync_ended() {
    std::lock_guard lock(mutex_);
    syncing_ = false;
    last_ = Clock::now();
}

bool LoopWatch::alive() const {
    std::lock_guard lock(mutex_);
    const auto silent = Clock::now() - last_;
    return syncing_ ? silent < limit_ : silent < interval_ + limit_;
}

LoopWatch::Clock::duration LoopWatch::silent_for() const {
    std::lock_guard lock(mutex_);
    return Clock::now() - last_;
}

}  // namespace nas_sync::cli
