// The wall clock behind a small interface, so that clock skew and a clock stepped back can be
// tested (reliability scenario F12). Times are whole seconds since the Unix epoch (UTC).
#pragma once

#include <cstdint>

namespace ssoescrow::vault {

// --- Interface ---

class Clock {
  public:
    virtual ~Clock() = default;
    // Seconds since 1970-01-01T00:00:00Z. May jump backwards or forwards (NTP step, operator).
    virtual std::int64_t now() = 0;
};

// The real clock (std::chrono::system_clock: Unix time on every system).
class SystemClock final : public Clock {
  public:
    std::int64_t now() override;
};

// A clock that only moves when told to. For tests.
class FakeClock final : public Clock {
  public:
    explicit FakeClock(std::int64_t start) : m_now(start) {}
    std::int64_t now() override { return m_now; }
    void set(std::int64_t seconds) { m_now = seconds; }
    void advance(std::int64_t seconds) { m_now += seconds; }

  private:
    std::int64_t m_now;
};

// The process-wide SystemClock instance.
Clock& system_clock();

}  // namespace ssoescrow::vault
