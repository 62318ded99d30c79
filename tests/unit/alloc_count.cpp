#include "alloc_count.hpp"

#include <cstddef>
#include <cstdlib>
#include <new>

namespace unit {
thread_local bool counting = false;
thread_local uint64_t allocations = 0;
} // namespace unit

#if defined(__SANITIZE_ADDRESS__)
// Under ASan the allocator is the sanitizer's: count through its hooks (a replaced
// operator new would mismatch its frees).
// (sanitizer/allocator_interface.h is not installed with GCC 12: declared here.)
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*)(const volatile void *, std::size_t),
							 void (*)(const volatile void *));
namespace {
void on_malloc(const volatile void *, std::size_t)
{
	if (unit::counting)
		unit::allocations++;
}
void on_free(const volatile void *) {}
const int hooks_installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
} // namespace
#else
void *operator new(std::size_t n)
{
	if (unit::counting)
		unit::allocations++;
	if (void *p = std::malloc(n ? n : 1))
		return p;
	throw std::bad_alloc();
}
// libstdc++'s operator delete frees with free(), which matches.
#endif
