// declassify(): marks a value computed from secrets as public because the design makes it public
// (the outcome of a constant-time comparison is what its caller acts on).
//
// At run time it does nothing. Under Valgrind's memcheck, where the constant-time test
// (tests/ctgrind) marks every secret as undefined memory so that any branch or table index that
// depends on a secret is reported, it tells memcheck that branching on this value is intended.
// Valgrind's client requests are a few no-op instructions outside Valgrind; where the header is
// absent (Windows, a system without valgrind) the function is empty.
#pragma once

#if defined(__has_include) && !defined(_WIN32)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define SSOESCROW_HAVE_MEMCHECK 1
#endif
#endif

namespace ssoescrow::crypto {

template <class T>
inline T declassify(T value) noexcept {
#if defined(SSOESCROW_HAVE_MEMCHECK)
    (void)VALGRIND_MAKE_MEM_DEFINED(&value, sizeof value);
#endif
    return value;
}

}  // namespace ssoescrow::crypto
