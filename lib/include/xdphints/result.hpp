#pragma once
// Errors are values at every boundary of xdp-hints. Result<T> holds a T or an Error;
// Status is Result<void>. (C++20 has no std::expected; this is the small part we use.)
#include <xdphints/export.hpp>

#include <string>
#include <utility>
#include <variant>

namespace xdphints {

enum class Errc {
	invalid_argument = 1, // the caller's request is malformed (bad path syntax, bad option)
	io,                   // a file could not be read
	malformed_btf,        // libbpf refused the BTF, or its types are inconsistent
	not_found,            // a named type / struct / object does not exist
	not_a_struct,         // a type id names something that is not a struct or union
	bad_layout,           // a hint struct breaks the wire rules (id member, size)
	type_mismatch,        // a field exists but is not of a compatible kind
	narrowing,            // the consumer asked for fewer bits than are stored
	ambiguous,            // two candidates resolve the same request differently
	too_deep,             // type graph deeper than we follow (type loops)
	system,               // any other errno from the OS or libbpf
	unsupported,          // the kernel or driver lacks the feature (EOPNOTSUPP, old kernel)
	busy,                 // taken by someone else (an XDP program, a queue, a live owner)
	no_device,            // no such interface (in this network namespace)
	device_gone,          // the interface vanished while in use
};

XDPHINTS_API const char *errc_name(Errc c) noexcept;

struct XDPHINTS_API Error {
	Errc code = Errc::system;
	int sys_errno = 0;   // the errno behind it, 0 when not from the OS
	std::string message; // cause, context (type id, field, access path) and the fix

	Error() = default;
	Error(Errc c, std::string msg, int err = 0) : code(c), sys_errno(err), message(std::move(msg)) {}

	// THE one place an errno from the OS becomes an Error: "what: <strerror> (fix)". Only
	// for an errno captured right after the failing call. `err` may be negative (libbpf).
	// what: what we were doing; fix: what the user can do about it.
	static Error from_errno(int err, std::string what, std::string fix);
	// An error xdp-hints detected itself (no errno behind it): "what (fix)".
	static Error detected(Errc c, std::string what, std::string fix);

	// "<code>: <message>" for logs.
	std::string to_string() const;
};

template <class T> class [[nodiscard]] Result {
public:
	Result(T v) : v_(std::in_place_index<0>, std::move(v)) {}
	Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}

	bool has_value() const noexcept { return v_.index() == 0; }
	explicit operator bool() const noexcept { return has_value(); }

	T &value() & { return std::get<0>(v_); }
	const T &value() const & { return std::get<0>(v_); }
	T &&value() && { return std::get<0>(std::move(v_)); }
	T &operator*() & { return value(); }
	const T &operator*() const & { return value(); }
	T &&operator*() && { return std::move(*this).value(); }
	T *operator->() { return &value(); }
	const T *operator->() const { return &value(); }

	const Error &error() const & { return std::get<1>(v_); }
	Error &&error() && { return std::get<1>(std::move(v_)); }

private:
	std::variant<T, Error> v_;
};

template <> class [[nodiscard]] Result<void> {
public:
	Result() = default;
	Result(Error e) : err_(std::move(e)), failed_(true) {}

	bool has_value() const noexcept { return !failed_; }
	explicit operator bool() const noexcept { return !failed_; }
	const Error &error() const & { return err_; }
	Error &&error() && { return std::move(err_); }

private:
	Error err_;
	bool failed_ = false;
};

using Status = Result<void>;

} // namespace xdphints

// Early return on error, in a function that returns a Result<U> or a Status:
//
//   XDPHINTS_TRY(hook, xdphints::hook::Hook::attach(opt)); // hook: the Hook, or return the Error
//   XDPHINTS_TRY_STATUS(hook.commit());                    // return the Error if it failed
//
// XDPHINTS_TRY declares `var` (and var_result_ beside it) in the enclosing scope.
#define XDPHINTS_TRY(var, expr)                                                                \
	auto var##_result_ = (expr);                                                           \
	if (!var##_result_)                                                                    \
		return std::move(var##_result_).error();                                       \
	auto var = std::move(*var##_result_)
#define XDPHINTS_TRY_STATUS(expr)                                                              \
	do {                                                                                   \
		if (auto xdphints_status_ = (expr); !xdphints_status_)                          \
			return std::move(xdphints_status_).error();                             \
	} while (0)
