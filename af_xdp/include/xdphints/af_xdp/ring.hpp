#pragma once
// The four AF_XDP rings as header-inline single-producer / single-consumer views.
//
// Same protocol as libxdp's xsk.h: each side keeps a cached copy of the other side's
// index and reads the shared one (acquire) only when the cache says the ring is full or
// empty; publishing is one release store per batch. The kernel is the other side.
//
//   producer (fill, tx):      n = reserve(want, idx); write slot(idx..idx+n-1); submit(n)
//   consumer (rx, completion): n = peek(want, idx);   read slot(idx..idx+n-1);  release(n)
//
// Indices are free-running u32; `idx & mask` is the slot. Nothing here allocates, throws
// or makes a system call. Rings are created and mapped by XskSocket (src/socket.cpp).
#include <linux/if_xdp.h>

#include <cstdint>

namespace xdphints::afxdp {

// Where a ring lives after mmap (from XDP_MMAP_OFFSETS).
struct RingMap {
	uint32_t *producer = nullptr;
	uint32_t *consumer = nullptr;
	uint32_t *flags = nullptr;
	void *descs = nullptr;
	uint32_t size = 0; // power of two
};

// What both directions share: the mapped indices, the descriptors, the cached indices.
template <class T> class RingBase {
public:
	bool valid() const noexcept { return ring_ != nullptr; }
	uint32_t size() const noexcept { return size_; }
	bool needs_wakeup() const noexcept
	{
		return __atomic_load_n(flags_, __ATOMIC_RELAXED) & XDP_RING_NEED_WAKEUP;
	}

protected:
	RingBase() = default;
	RingBase(const RingMap &m, uint32_t cons_bias) noexcept
		: producer_(m.producer), consumer_(m.consumer), flags_(m.flags), ring_(static_cast<T *>(m.descs)),
		  mask_(m.size - 1), size_(m.size), cached_prod_(__atomic_load_n(m.producer, __ATOMIC_RELAXED)),
		  cached_cons_(__atomic_load_n(m.consumer, __ATOMIC_RELAXED) + cons_bias)
	{
	}
	uint32_t *producer_ = nullptr;
	uint32_t *consumer_ = nullptr;
	uint32_t *flags_ = nullptr;
	T *ring_ = nullptr;
	uint32_t mask_ = 0;
	uint32_t size_ = 0;
	uint32_t cached_prod_ = 0;
	uint32_t cached_cons_ = 0;
};

// We produce (fill, tx). cached_cons_ is kept `size` ahead, so free = cached_cons_ - cached_prod_.
template <class T> class ProdRing : public RingBase<T> {
	using B = RingBase<T>;

public:
	ProdRing() = default;
	explicit ProdRing(const RingMap &m) noexcept : B(m, m.size) {}

	// Free slots, refreshing the cached consumer only when fewer than `want` are known free.
	uint32_t free_slots(uint32_t want) noexcept
	{
		uint32_t n = B::cached_cons_ - B::cached_prod_;
		if (n >= want)
			return n;
		// Pairs with the kernel's release of the consumer index: slots it has read are ours.
		B::cached_cons_ = __atomic_load_n(B::consumer_, __ATOMIC_ACQUIRE) + B::size_;
		return B::cached_cons_ - B::cached_prod_;
	}

	// Reserves up to `want` slots (fewer when the ring is fuller); returns how many.
	uint32_t reserve(uint32_t want, uint32_t &idx) noexcept
	{
		uint32_t n = free_slots(want);
		if (n > want)
			n = want;
		idx = B::cached_prod_;
		B::cached_prod_ += n;
		return n;
	}

	T &slot(uint32_t idx) noexcept { return B::ring_[idx & B::mask_]; }

	// Publishes everything reserved so far (the kernel sees slot writes before the index).
	void submit() noexcept { __atomic_store_n(B::producer_, B::cached_prod_, __ATOMIC_RELEASE); }

	// Entries written but not yet taken by the kernel.
	uint32_t outstanding() const noexcept
	{
		return B::cached_prod_ - __atomic_load_n(B::consumer_, __ATOMIC_ACQUIRE);
	}

	// Entries published but not yet taken by the kernel, from the shared indices only, so
	// any thread may ask (statistics); exact while the producer is idle.
	uint32_t queued() const noexcept
	{
		return __atomic_load_n(B::producer_, __ATOMIC_ACQUIRE) - __atomic_load_n(B::consumer_, __ATOMIC_ACQUIRE);
	}
};

// The kernel produces (rx, completion).
template <class T> class ConsRing : public RingBase<T> {
	using B = RingBase<T>;

public:
	ConsRing() = default;
	explicit ConsRing(const RingMap &m) noexcept : B(m, 0) {}

	// Takes up to `want` filled entries; returns how many, first index in idx.
	uint32_t peek(uint32_t want, uint32_t &idx) noexcept
	{
		uint32_t n = B::cached_prod_ - B::cached_cons_;
		if (n == 0) {
			// Pairs with the kernel's release of the producer index: descriptors are written.
			B::cached_prod_ = __atomic_load_n(B::producer_, __ATOMIC_ACQUIRE);
			n = B::cached_prod_ - B::cached_cons_;
		}
		if (n > want)
			n = want;
		idx = B::cached_cons_;
		B::cached_cons_ += n;
		return n;
	}

	const T &slot(uint32_t idx) const noexcept { return B::ring_[idx & B::mask_]; }

	// Hands every peeked slot back to the kernel (our reads happen before it reuses them).
	void release() noexcept { __atomic_store_n(B::consumer_, B::cached_cons_, __ATOMIC_RELEASE); }

	// Filled entries not yet peeked.
	uint32_t pending() noexcept
	{
		B::cached_prod_ = __atomic_load_n(B::producer_, __ATOMIC_ACQUIRE);
		return B::cached_prod_ - B::cached_cons_;
	}
};

} // namespace xdphints::afxdp
