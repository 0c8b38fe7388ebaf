// Errors as values: every fallible function inside the libraries returns Result<T>, which holds
// either a T or one Error{code, message, hint}. Only src/main.cpp turns an Error into an exit code
// and the "ssoescrow: error: ..." / "ssoescrow: hint: ..." lines (see src/exit_codes.hpp).
//
// Messages name the file, field or custodian concerned and never contain secret bytes.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace ssoescrow {

// One flat list of what can go wrong; exit codes are derived from it in one place.
enum class Errc {
    usage,                // the command line or an option value is wrong
    io,                   // a read or write failed (names the file)
    no_space,             // ENOSPC / EDQUOT while writing
    read_only,            // the target is on a read-only filesystem
    not_found,            // a named file, backup, custodian... does not exist
    already_exists,       // refusing to overwrite
    unsafe_permissions,   // a secret file is readable by group/others, a symlink, ...
    parse,                // malformed input (names file and field)
    unsupported_version,  // a format version this build does not read
    limit_exceeded,       // a length, count or cost above its ceiling (checked before allocating)
    invalid_argument,     // a well-formed value that is not acceptable (K > N, weak KDF cost, ...)
    auth_failed,          // an AEAD tag, MAC or commitment did not verify
    wrong_passphrase,     // the key-check value of an identity file did not verify
    share_x_zero,         // a Shamir share with x = 0
    share_duplicate,      // two shares with the same x
    share_length,         // shares of different or wrong lengths
    too_few_shares,       // fewer than K shares
    share_mismatch,       // a share of another backup/request, or a conflicting one
    locked,               // another writer holds the vault lock
    lock_lost,            // our lock was taken over while we worked
    policy_mismatch,      // the vault policy is not the pinned one
    bridge_failed,        // the bridge crashed, hung, printed garbage, produced no file
    entsso_error,         // the bridge reported an ENTSSO error code
    precondition,         // the environment is not in the state the operation needs
    vault_damaged,        // the vault fails its own integrity checks
    internal,             // a bug: an invariant did not hold
};

struct Error {
    Errc code;
    std::string message;  // lower-case, no final period, names what failed
    std::string hint;     // optional: what the user should do about it
};

inline Error make_error(Errc code, std::string message, std::string hint = {}) {
    return Error{code, std::move(message), std::move(hint)};
}

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_state(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_state(std::in_place_index<1>, std::move(error)) {}

    bool ok() const noexcept { return m_state.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & {
        assert(ok());
        return std::get<0>(m_state);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(m_state);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(m_state));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const& {
        assert(!ok());
        return std::get<1>(m_state);
    }
    Error&& error() && {
        assert(!ok());
        return std::get<1>(std::move(m_state));
    }

private:
    std::variant<T, Error> m_state;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)), m_failed(true) {}

    bool ok() const noexcept { return !m_failed; }
    explicit operator bool() const noexcept { return ok(); }
    const Error& error() const& {
        assert(!ok());
        return m_error;
    }
    Error&& error() && {
        assert(!ok());
        return std::move(m_error);
    }

private:
    Error m_error{Errc::internal, {}, {}};
    bool m_failed = false;
};

using Status = Result<void>;

// Adds context in front of an error message ("reading alice.key: ...") on the way out.
inline Error with_context(Error error, const std::string& context) {
    error.message = context + ": " + error.message;
    return error;
}

}  // namespace ssoescrow

// TRY(expr): evaluate a Result<void>, return its error from the enclosing function on failure.
#define SSOESCROW_CONCAT_INNER(a, b) a##b
#define SSOESCROW_CONCAT(a, b) SSOESCROW_CONCAT_INNER(a, b)
#define TRY(expr)                                                       \
    do {                                                                \
        auto&& try_result_ = (expr);                                    \
        if (!try_result_.ok()) return std::move(try_result_).error();   \
    } while (0)

// TRY_ASSIGN(decl, expr): `decl = value of expr`, or return its error.
#define TRY_ASSIGN(decl, expr) \
    TRY_ASSIGN_IMPL(SSOESCROW_CONCAT(try_assign_, __LINE__), decl, expr)
#define TRY_ASSIGN_IMPL(tmp, decl, expr)               \
    auto tmp = (expr);                                 \
    if (!tmp.ok()) return std::move(tmp).error();      \
    decl = std::move(tmp).value()
