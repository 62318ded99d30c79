#pragma once
// Counts allocations (operator new) on this thread while `counting` is set, so a test can
// show that a per-packet path makes none (alloc_count.cpp replaces operator new).
#include <cstdint>

namespace unit {
extern thread_local bool counting;
extern thread_local uint64_t allocations;
} // namespace unit
