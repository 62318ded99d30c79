#pragma once
// The system-call seam of af_xdp/: every control-path call (socket, setsockopt, bind, mmap,
// map update) goes through this table, so unit tests can make any of them fail (EBUSY,
// ENOPROTOOPT, a partial failure half-way through setup) without root and check that the
// error is reported and nothing leaks. Per-packet code never goes through it.
#include <cstddef>
#include <cstdint>
#include <sys/socket.h>
#include <sys/types.h>

namespace xdphints::afxdp {

// Each entry has the libc contract: -1 (or MAP_FAILED) with errno set on failure.
struct Sys {
	int (*socket)(int domain, int type, int protocol);
	int (*close)(int fd);
	int (*setsockopt)(int fd, int level, int name, const void *val, socklen_t len);
	int (*getsockopt)(int fd, int level, int name, void *val, socklen_t *len);
	int (*bind)(int fd, const struct sockaddr *addr, socklen_t len);
	void *(*mmap)(void *addr, size_t len, int prot, int flags, int fd, off_t off);
	int (*munmap)(void *addr, size_t len);
	int (*ioctl)(int fd, unsigned long req, void *arg);
	// bpf(BPF_MAP_UPDATE_ELEM) / (BPF_MAP_DELETE_ELEM) on an XSKMAP, key = queue id.
	int (*xskmap_set)(int map_fd, uint32_t key, int xsk_fd);
	int (*xskmap_clear)(int map_fd, uint32_t key);
};

// The table in use (the real calls unless a test replaced it).
const Sys &sys() noexcept;
// The real calls.
const Sys &real_sys() noexcept;

// Replaces the table for the lifetime of the guard (tests only; not thread-safe).
class SysOverride {
public:
	explicit SysOverride(const Sys &s) noexcept;
	~SysOverride();
	SysOverride(const SysOverride &) = delete;
	SysOverride &operator=(const SysOverride &) = delete;

private:
	const Sys *saved_;
};

} // namespace xdphints::afxdp
