#pragma once
// THE system-call seam: every control-path call xdp-hints makes at the kernel edge (sockets,
// ioctls, mmap, netlink, memfds, the bpf(2) queries of what is attached) goes through this
// table, so unit tests replace any of them with a fake kernel and make it fail (EBUSY,
// ENOPROTOOPT, a partial failure half-way through setup) without root, then check the
// error that comes out and that nothing leaked. Per-packet code never goes through it.
#include <cstddef>
#include <cstdint>
#include <sys/socket.h>
#include <sys/types.h>
#include <ctime>

namespace xdphints::edge {

// Each entry has the libc contract: -1 (or MAP_FAILED) with errno set on failure; the
// libbpf-backed ones are adapted to it (libbpf itself returns -errno).
struct Sys {
	int (*socket)(int domain, int type, int protocol);
	int (*close)(int fd);
	int (*setsockopt)(int fd, int level, int name, const void *val, socklen_t len);
	int (*getsockopt)(int fd, int level, int name, void *val, socklen_t *len);
	int (*bind)(int fd, const struct sockaddr *addr, socklen_t len);
	void *(*mmap)(void *addr, size_t len, int prot, int flags, int fd, off_t off);
	int (*munmap)(void *addr, size_t len);
	int (*ioctl)(int fd, unsigned long req, void *arg);
	ssize_t (*send)(int fd, const void *buf, size_t len, int flags);
	ssize_t (*recv)(int fd, void *buf, size_t len, int flags);
	ssize_t (*write)(int fd, const void *buf, size_t len);
	int (*memfd_create)(const char *name, unsigned flags);
	// bpf(BPF_MAP_UPDATE_ELEM) / (BPF_MAP_DELETE_ELEM) on an XSKMAP, key = queue id.
	int (*xskmap_set)(int map_fd, uint32_t key, int xsk_fd);
	int (*xskmap_clear)(int map_fd, uint32_t key);
	// The XDP program ids on `ifindex`: ids[0] driver, ids[1] generic (SKB), ids[2]
	// offload; 0 where none (netlink, bpf_xdp_query).
	int (*xdp_prog_ids)(int ifindex, uint32_t ids[3]);
	int (*prog_get_fd_by_id)(uint32_t id);
	int (*link_get_fd_by_id)(uint32_t id);
	// The next bpf_link id after `start`; -1 with ENOENT after the last.
	int (*link_get_next_id)(uint32_t start, uint32_t *next);
	int (*btf_get_fd_by_id)(uint32_t id);
	int (*btf_get_next_id)(uint32_t start, uint32_t *next);
	// BPF_OBJ_GET_INFO_BY_FD into struct bpf_prog_info / bpf_link_info / ...
	int (*obj_get_info_by_fd)(int fd, void *info, uint32_t *len);
	// The programs a libxdp dispatcher on `ifindex` runs (libxdp's xdp_multiprog), in run
	// order, up to `max` of them into ids[] and names[]: their number; 0 when what is
	// attached is no dispatcher (or nothing is).
	int (*xdp_dispatcher_progs)(int ifindex, uint32_t *ids, char (*names)[16], int max);
	// open(2) (the PTP clock's character device) and clock_gettime(2) (the TAI - UTC
	// offset, the system side of a PHC measurement a fake PHC stands in for).
	int (*open)(const char *path, int flags);
	int (*clock_gettime)(clockid_t clock, struct timespec *ts);
};

// The table in use (the real calls unless a test replaced it).
const Sys &sys() noexcept;
// The real calls: a fake starts from a copy of this and replaces what it stands in for.
const Sys &real_sys() noexcept;

// `partial` with every entry it leaves null filled from real_sys(): a fake names only what
// it stands in for (designated initializers, in the order above).
Sys with_real(Sys partial) noexcept;

// Replaces the table for the lifetime of the guard (tests only; not thread-safe). `s` must
// outlive the guard.
class SysOverride {
public:
	explicit SysOverride(const Sys &s) noexcept;
	~SysOverride();
	SysOverride(const SysOverride &) = delete;
	SysOverride &operator=(const SysOverride &) = delete;

private:
	const Sys *saved_;
};

} // namespace xdphints::edge
