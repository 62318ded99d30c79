#pragma once
// The one owner of kernel handles: every owned fd in xdp-hints is a UniqueFd, every libbpf
// object a unique_ptr with its deleter, so a class that holds them moves with `= default`
// and nothing else calls close(2) on a raw integer (cilium/ebpf's internal/sys/fd.go).
// Closing goes through the system-call seam (sys.hpp), so a fake kernel in the unit tests
// sees every fd it handed out come back.
#include <xdphints/export.hpp>

#include <memory>
#include <utility>

struct btf;
struct bpf_object;
struct bpf_link;
struct ring_buffer;

namespace xdphints::edge {

// Exported (and installed) although edge/ is internal: public classes hold UniqueFd and
// libbpf-object members whose inline moves and destructors call these.
class XDPHINTS_API UniqueFd {
public:
	UniqueFd() noexcept = default;
	// Takes ownership of `fd` (-1, or any negative value, holds nothing).
	explicit UniqueFd(int fd) noexcept : fd_(fd < 0 ? -1 : fd) {}
	UniqueFd(UniqueFd &&o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
	UniqueFd &operator=(UniqueFd &&o) noexcept
	{
		if (this != &o)
			reset(std::exchange(o.fd_, -1));
		return *this;
	}
	UniqueFd(const UniqueFd &) = delete;
	UniqueFd &operator=(const UniqueFd &) = delete;
	~UniqueFd() { reset(); }

	int get() const noexcept { return fd_; }
	bool valid() const noexcept { return fd_ >= 0; }
	explicit operator bool() const noexcept { return valid(); }
	// Gives the fd up without closing it: the caller owns it now.
	[[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
	// Closes what is held (once; a second reset is a no-op) and takes `fd`.
	void reset(int fd = -1) noexcept;

private:
	int fd_ = -1;
};

// Deleters for libbpf's objects; each accepts nullptr.
struct XDPHINTS_API BtfFree {
	void operator()(struct btf *b) const noexcept;
};
struct XDPHINTS_API ObjectClose {
	void operator()(struct bpf_object *o) const noexcept;
};
struct XDPHINTS_API LinkDestroy {
	void operator()(struct bpf_link *l) const noexcept;
};
struct XDPHINTS_API RingBufferFree {
	void operator()(struct ring_buffer *r) const noexcept;
};
using BtfPtr = std::unique_ptr<struct btf, BtfFree>;
using ObjectPtr = std::unique_ptr<struct bpf_object, ObjectClose>;
using LinkPtr = std::unique_ptr<struct bpf_link, LinkDestroy>;
using RingBufferPtr = std::unique_ptr<struct ring_buffer, RingBufferFree>;

} // namespace xdphints::edge
