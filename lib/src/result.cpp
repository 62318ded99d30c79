#include <xdphints/result.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace xdphints {

const char *errc_name(Errc c) noexcept
{
	switch (c) {
	case Errc::invalid_argument: return "invalid_argument";
	case Errc::io: return "io";
	case Errc::malformed_btf: return "malformed_btf";
	case Errc::not_found: return "not_found";
	case Errc::not_a_struct: return "not_a_struct";
	case Errc::bad_layout: return "bad_layout";
	case Errc::type_mismatch: return "type_mismatch";
	case Errc::narrowing: return "narrowing";
	case Errc::ambiguous: return "ambiguous";
	case Errc::too_deep: return "too_deep";
	case Errc::system: return "system";
	case Errc::unsupported: return "unsupported";
	case Errc::busy: return "busy";
	case Errc::no_device: return "no_device";
	case Errc::device_gone: return "device_gone";
	}
	return "unknown";
}

Error Error::from_errno(int err, std::string what, std::string fix)
{
	err = std::abs(err);
	Errc code;
	switch (err) {
	case ENOENT: code = Errc::not_found; break;
	case EINVAL: code = Errc::invalid_argument; break;
	case EIO: case EACCES: case EISDIR: code = Errc::io; break;
	case EPROTO: case EBADMSG: case E2BIG: code = Errc::malformed_btf; break;
	case EBUSY: case EEXIST: code = Errc::busy; break;
	case EOPNOTSUPP: case 524 /* ENOTSUPP */: case ENOPROTOOPT: case EAFNOSUPPORT: code = Errc::unsupported; break;
	case ENODEV: case ENXIO: code = Errc::no_device; break;
	default: code = Errc::system; break;
	}
	std::string msg = std::move(what);
	msg += ": ";
	msg += std::strerror(err);
	if (!fix.empty()) {
		msg += " (";
		msg += fix;
		msg += ")";
	}
	return Error(code, std::move(msg), err);
}

Error Error::detected(Errc c, std::string what, std::string fix)
{
	if (!fix.empty()) {
		what += " (";
		what += fix;
		what += ")";
	}
	return Error(c, std::move(what));
}

std::string Error::to_string() const
{
	return std::string(errc_name(code)) + ": " + message;
}

} // namespace xdphints
