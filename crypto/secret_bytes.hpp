// SecretBytes: the only container for secret material (keys, shares, passphrases, passwords,
// plaintext bundles).
//
// - storage comes from sodium_malloc (guard pages, canary, mlock where the OS allows it; if mlock
//   fails libsodium still returns the buffer, so secrets may reach swap on such systems);
// - it is wiped with sodium_memzero and freed on destruction, on every path (RAII);
// - it is move-only: a secret is never silently duplicated;
// - there is no conversion to std::string and no operator<<;
// - equality is constant-time in the contents (the length is public).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "crypto/bytes.hpp"

namespace ssoescrow::crypto {

class SecretBytes {
public:
    SecretBytes() noexcept = default;
    // A zero-filled secret buffer of `size` bytes. Throws std::bad_alloc if libsodium cannot
    // allocate (there is no sensible recovery from that).
    explicit SecretBytes(std::size_t size);
    ~SecretBytes();

    SecretBytes(const SecretBytes&) = delete;
    SecretBytes& operator=(const SecretBytes&) = delete;
    SecretBytes(SecretBytes&& other) noexcept;
    SecretBytes& operator=(SecretBytes&& other) noexcept;

    // Copies `data` into a new secret buffer. The caller wipes its own copy.
    static SecretBytes copy_of(ByteView data);
    // `size` bytes from the CSPRNG.
    static SecretBytes random(std::size_t size);
    // An explicit duplicate, for the few places that must keep two owners.
    SecretBytes clone() const;

    std::uint8_t* data() noexcept { return m_data; }
    const std::uint8_t* data() const noexcept { return m_data; }
    std::size_t size() const noexcept { return m_size; }
    bool empty() const noexcept { return m_size == 0; }
    std::span<std::uint8_t> span() noexcept { return {m_data, m_size}; }
    ByteView view() const noexcept { return {m_data, m_size}; }
    std::uint8_t& operator[](std::size_t i) noexcept { return m_data[i]; }
    std::uint8_t operator[](std::size_t i) const noexcept { return m_data[i]; }

    // Constant-time in the contents; different sizes compare unequal.
    bool equals(const SecretBytes& other) const noexcept;
    bool equals(ByteView other) const noexcept;

    // Shrinks the logical size (the tail is wiped); used after reading into a maximum-size buffer.
    void truncate(std::size_t new_size) noexcept;
    // Wipes and frees now rather than at scope end.
    void reset() noexcept;

private:
    std::uint8_t* m_data = nullptr;
    std::size_t m_size = 0;
};

// Constant-time comparison of two public-length byte strings (MACs, commitments, tags).
bool constant_time_equal(ByteView a, ByteView b) noexcept;

// Wipes a non-SecretBytes temporary (e.g. a stack array) that briefly held secret bytes.
void wipe(std::span<std::uint8_t> buffer) noexcept;

}  // namespace ssoescrow::crypto
