#include "platform/test_hooks.hpp"

#ifdef SSOESCROW_TEST_HOOKS

#include <charconv>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "platform/environment.hpp"
#include "platform/system_error.hpp"
#include "platform/terminate.hpp"

namespace ssoescrow::platform::test_hooks {
namespace {

std::mutex g_mutex;

// Counts how often each name was reached since the environment variable last changed value.
struct Counter {
    std::string env_value;
    std::map<std::string, unsigned long, std::less<>> seen;

    unsigned long hit(const std::string& current_env, std::string_view name) {
        if (env_value != current_env) {
            env_value = current_env;
            seen.clear();
        }
        auto it = seen.find(name);
        if (it == seen.end())
            it = seen.emplace(std::string(name), 0).first;
        return ++it->second;
    }
};

Counter g_crash_counter;
Counter g_fault_counter;
Counter g_pause_counter;

// "NAME" or "NAME:N" -> (NAME, N); N defaults to 1, 0 on a malformed count.
std::pair<std::string_view, unsigned long> split_count(std::string_view item) {
    const auto colon = item.rfind(':');
    if (colon == std::string_view::npos)
        return {item, 1};
    const std::string_view digits = item.substr(colon + 1);
    unsigned long n = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
        return {item, 1};  // the colon was part of the name (e.g. "enospc:write")
    }
    return {item.substr(0, colon), n};
}

}  // namespace

namespace {

// The value of a hook variable; empty when unset.
std::string hook_variable(std::string_view name) {
    return environment_variable(name).value_or(std::string());
}

}  // namespace

void crash_point(std::string_view name) noexcept {
    const std::string env = hook_variable("SSOESCROW_TEST_CRASH_AT");
    if (env.empty()) {
        std::lock_guard<std::mutex> lock(g_mutex);
        g_crash_counter.hit("", name);  // forget the counts of an earlier value
        return;
    }
    const auto [wanted, nth] = split_count(env);
    if (wanted != name)
        return;
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_crash_counter.hit(env, name) == nth)
        terminate_immediately(137);
}

void pause_point(std::string_view name) noexcept {
    const std::string env = hook_variable("SSOESCROW_TEST_PAUSE_AT");
    if (env.empty())
        return;
    const auto [wanted, nth] = split_count(env);
    if (wanted != name)
        return;
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        if (g_pause_counter.hit(env, name) != nth)
            return;
    }
    const std::string line = "ssoescrow: test: paused at " + std::string(name) + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
    std::this_thread::sleep_for(std::chrono::seconds(k_pause_seconds));
}

int injected_fault(std::string_view operation) noexcept {
    const std::string env = hook_variable("SSOESCROW_TEST_FAULT");
    std::lock_guard<std::mutex> lock(g_mutex);
    if (env.empty()) {
        g_fault_counter.hit("", operation);  // forget the counts of an earlier value
        return 0;
    }
    std::string_view spec(env);
    bool counted = false;
    unsigned long count = 0;
    while (!spec.empty()) {
        const auto comma = spec.find(',');
        const std::string_view item = spec.substr(0, comma);
        spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
        // item = ERR:OP[:N]
        const auto first_colon = item.find(':');
        if (first_colon == std::string_view::npos)
            continue;
        const int err = detail::native_error_for_fault(item.substr(0, first_colon));
        const auto [op, nth] = split_count(item.substr(first_colon + 1));
        if (err == 0 || op != operation)
            continue;
        if (!counted) {
            count = g_fault_counter.hit(env, operation);
            counted = true;
        }
        if (count == nth)
            return err;
    }
    return 0;
}

void reset_counters() noexcept {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_crash_counter = Counter{};
    g_fault_counter = Counter{};
}

std::optional<std::int64_t> fixed_now() noexcept {
    const std::string value = hook_variable("SSOESCROW_TEST_NOW");
    if (value.empty())
        return std::nullopt;
    std::int64_t seconds = 0;
    const char* end = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(value.data(), end, seconds);
    if (ec != std::errc() || ptr != end || seconds < 0)
        return std::nullopt;
    return seconds;
}

}  // namespace ssoescrow::platform::test_hooks

#endif  // SSOESCROW_TEST_HOOKS
