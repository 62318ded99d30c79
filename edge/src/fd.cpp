#include <xdphints/edge/fd.hpp>
#include <xdphints/edge/sys.hpp>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

namespace xdphints::edge {

void UniqueFd::reset(int fd) noexcept
{
	int old = std::exchange(fd_, fd < 0 ? -1 : fd);
	// close(2) releases the fd even when it reports an error (EINTR included): never retry.
	if (old >= 0)
		(void)sys().close(old);
}

void BtfFree::operator()(struct btf *b) const noexcept { btf__free(b); }
void ObjectClose::operator()(struct bpf_object *o) const noexcept { bpf_object__close(o); }
void LinkDestroy::operator()(struct bpf_link *l) const noexcept { (void)bpf_link__destroy(l); }
void RingBufferFree::operator()(struct ring_buffer *r) const noexcept { ring_buffer__free(r); }

} // namespace xdphints::edge
