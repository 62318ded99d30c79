#include <xdphints/edge/sys.hpp>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <xdp/libxdp.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace xdphints::edge {

namespace {

// libbpf returns -errno (and sets errno); the seam's contract is libc's: -1 + errno.
int libc(int ret)
{
	if (ret >= 0)
		return ret;
	errno = -ret;
	return -1;
}

int xskmap_set_real(int map_fd, uint32_t key, int xsk_fd)
{
	return libc(bpf_map_update_elem(map_fd, &key, &xsk_fd, 0)) < 0 ? -1 : 0;
}

int xskmap_clear_real(int map_fd, uint32_t key)
{
	return libc(bpf_map_delete_elem(map_fd, &key)) < 0 ? -1 : 0;
}

int xdp_prog_ids_real(int ifindex, uint32_t ids[3])
{
	bpf_xdp_query_opts q{};
	q.sz = sizeof(q);
	if (libc(bpf_xdp_query(ifindex, 0, &q)) < 0)
		return -1;
	ids[0] = q.drv_prog_id;
	ids[1] = q.skb_prog_id;
	ids[2] = q.hw_prog_id;
	return 0;
}

int prog_fd_real(uint32_t id) { return libc(bpf_prog_get_fd_by_id(id)); }
int link_fd_real(uint32_t id) { return libc(bpf_link_get_fd_by_id(id)); }
int link_next_real(uint32_t start, uint32_t *next) { return libc(bpf_link_get_next_id(start, next)); }
int btf_fd_real(uint32_t id) { return libc(bpf_btf_get_fd_by_id(id)); }
int btf_next_real(uint32_t start, uint32_t *next) { return libc(bpf_btf_get_next_id(start, next)); }
int info_real(int fd, void *info, uint32_t *len) { return libc(bpf_obj_get_info_by_fd(fd, info, len)); }
int quiet(enum libxdp_print_level, const char *, va_list) { return 0; }

struct MultiprogClose {
	void operator()(xdp_multiprog *mp) const noexcept { xdp_multiprog__close(mp); }
};

int dispatcher_real(int ifindex, uint32_t *ids, char (*names)[16], int max)
{
	// libxdp logs its own diagnostics ("not a dispatcher", no bpffs) to stderr: not ours.
	libxdp_print_fn_t saved = libxdp_set_print(quiet);
	std::unique_ptr<xdp_multiprog, MultiprogClose> mp(xdp_multiprog__get_from_ifindex(ifindex));
	libxdp_set_print(saved);
	if (libxdp_get_error(mp.get())) {
		(void)mp.release(); // an error pointer, not an object
		return 0;
	}
	if (!mp || xdp_multiprog__is_legacy(mp.get()))
		return 0;
	int n = 0;
	for (xdp_program *p = xdp_multiprog__next_prog(nullptr, mp.get()); p && n < max;
	     p = xdp_multiprog__next_prog(p, mp.get()), n++) {
		ids[n] = xdp_program__id(p);
		std::strncpy(names[n], xdp_program__name(p), sizeof(names[n]) - 1);
		names[n][sizeof(names[n]) - 1] = 0;
	}
	return n;
}

int ioctl_real(int fd, unsigned long req, void *arg) { return ::ioctl(fd, req, arg); }
int memfd_real(const char *name, unsigned flags) { return ::memfd_create(name, flags); }
int open_real(const char *path, int flags) { return ::open(path, flags); }

const Sys kReal{
	.socket = ::socket,
	.close = ::close,
	.setsockopt = ::setsockopt,
	.getsockopt = ::getsockopt,
	.bind = ::bind,
	.mmap = ::mmap,
	.munmap = ::munmap,
	.ioctl = ioctl_real,
	.send = ::send,
	.recv = ::recv,
	.write = ::write,
	.memfd_create = memfd_real,
	.xskmap_set = xskmap_set_real,
	.xskmap_clear = xskmap_clear_real,
	.xdp_prog_ids = xdp_prog_ids_real,
	.prog_get_fd_by_id = prog_fd_real,
	.link_get_fd_by_id = link_fd_real,
	.link_get_next_id = link_next_real,
	.btf_get_fd_by_id = btf_fd_real,
	.btf_get_next_id = btf_next_real,
	.obj_get_info_by_fd = info_real,
	.xdp_dispatcher_progs = dispatcher_real,
	.open = open_real,
	.clock_gettime = ::clock_gettime,
};

const Sys *g_sys = &kReal;

} // namespace

const Sys &sys() noexcept { return *g_sys; }
const Sys &real_sys() noexcept { return kReal; }

Sys with_real(Sys p) noexcept
{
	const Sys &r = kReal;
	auto fill = [](auto &mine, auto real) {
		if (!mine)
			mine = real;
	};
	fill(p.socket, r.socket);
	fill(p.close, r.close);
	fill(p.setsockopt, r.setsockopt);
	fill(p.getsockopt, r.getsockopt);
	fill(p.bind, r.bind);
	fill(p.mmap, r.mmap);
	fill(p.munmap, r.munmap);
	fill(p.ioctl, r.ioctl);
	fill(p.send, r.send);
	fill(p.recv, r.recv);
	fill(p.write, r.write);
	fill(p.memfd_create, r.memfd_create);
	fill(p.xskmap_set, r.xskmap_set);
	fill(p.xskmap_clear, r.xskmap_clear);
	fill(p.xdp_prog_ids, r.xdp_prog_ids);
	fill(p.prog_get_fd_by_id, r.prog_get_fd_by_id);
	fill(p.link_get_fd_by_id, r.link_get_fd_by_id);
	fill(p.link_get_next_id, r.link_get_next_id);
	fill(p.btf_get_fd_by_id, r.btf_get_fd_by_id);
	fill(p.btf_get_next_id, r.btf_get_next_id);
	fill(p.obj_get_info_by_fd, r.obj_get_info_by_fd);
	fill(p.xdp_dispatcher_progs, r.xdp_dispatcher_progs);
	fill(p.open, r.open);
	fill(p.clock_gettime, r.clock_gettime);
	return p;
}

SysOverride::SysOverride(const Sys &s) noexcept : saved_(g_sys) { g_sys = &s; }
SysOverride::~SysOverride() { g_sys = saved_; }

} // namespace xdphints::edge
