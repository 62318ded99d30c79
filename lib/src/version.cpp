#include <xdphints/version.hpp>

namespace xdphints {

const char *version() noexcept
{
	return XDPHINTS_VERSION_STRING;
}

} // namespace xdphints
