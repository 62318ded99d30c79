#include "alloc_count.hpp"

#include <cstdlib>
#include <new>

namespace unit {
thread_local bool counting = false;
thread_local uint64_t allocations = 0;
} // namespace unit

void *operator new(std::size_t n)
{
	if (unit::counting)
		unit::allocations++;
	if (void *p = std::malloc(n ? n : 1))
		return p;
	throw std::bad_alloc();
}
// The default operator delete frees with free(), which matches.
