#include <xdphints/receiver.hpp>

namespace xdphints {

Receiver::Receiver(hook::Hook hook, std::shared_ptr<afxdp::Umem> umem, afxdp::RxGroup group, Decoder dec)
	: hook_(std::move(hook)), umem_(std::move(umem)), group_(std::move(group)), decoder_(std::move(dec))
{
}

Receiver::Receiver(Receiver &&) noexcept = default;
Receiver &Receiver::operator=(Receiver &&) noexcept = default;
Receiver::~Receiver() = default;

Receiver::Parts Receiver::release() &&
{
	return Parts{std::move(hook_), std::move(umem_), std::move(group_), std::move(decoder_)};
}

Result<Receiver> Receiver::open(const ReceiverOptions &opt, const Query &q,
				const std::function<void(const hook::Hook &)> &before_commit)
{
	hook::HookOptions ho = opt.hook;
	ho.ifname = opt.ifname;
	XDPHINTS_TRY(hk, hook::Hook::prepare(ho));
	XDPHINTS_TRY(layouts, hk.layouts());
	if (layouts.empty())
		return Error::detected(Errc::not_found, "the hook on " + opt.ifname + " describes no hint struct in its BTF",
				       "a hook must write a struct named xdp_hints* (or tagged xdp_hints) with btf_id or "
				       "btf_full_id last");
	// Layouts larger than what a frame from this hook can carry are refused (the kernel's
	// XDP metadata limit, or the hook's prefix): no hook could write them.
	DecoderOptions dopt;
	dopt.metadata_limit = hk.max_layout_size();
	XDPHINTS_TRY(dec, Decoder::build(q, layouts, dopt));

	XDPHINTS_TRY(queues, afxdp::parse_queues(opt.queues, hk.ifindex()));
	const size_t nq = queues.size();
	const uint32_t ring = opt.ring_size ? opt.ring_size : nq <= 4 ? 8192 : nq <= 8 ? 4096 : 2048;
	afxdp::UmemConfig uc;
	uc.frame_count = uint32_t((opt.frames_per_queue ? opt.frames_per_queue : ring + 2048) * nq);
	uc.check_ownership = opt.check_ownership;
	XDPHINTS_TRY(umem, afxdp::Umem::create(uc));

	afxdp::SocketConfig sc;
	sc.ifindex = hk.ifindex();
	sc.mode = opt.bind;
	sc.busy_poll = opt.busy_poll;
	sc.rx_size = sc.fill_size = ring;
	sc.xsks_map_fd = hk.xsks_map_fd();
	sc.hints_prefix = hk.hints_prefix();
	XDPHINTS_TRY(group, afxdp::RxGroup::open(umem, sc, queues));
	if (before_commit)
		before_commit(hk);
	XDPHINTS_TRY_STATUS(hk.commit());
	return Receiver(std::move(hk), std::move(umem), std::move(group), std::move(dec));
}

} // namespace xdphints
