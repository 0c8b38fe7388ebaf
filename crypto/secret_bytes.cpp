#include "crypto/secret_bytes.hpp"

#include <sodium.h>

#include <cstring>
#include <new>
#include <utility>

#include "crypto/declassify.hpp"

namespace ssoescrow::crypto {

SecretBytes::SecretBytes(std::size_t size) : m_size(size) {
    if (size == 0)
        return;
    m_data = static_cast<std::uint8_t*>(sodium_malloc(size));
    if (m_data == nullptr)
        throw std::bad_alloc();
    sodium_memzero(m_data, size);
}

SecretBytes::~SecretBytes() {
    reset();
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : m_data(std::exchange(other.m_data, nullptr)), m_size(std::exchange(other.m_size, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
        reset();
        m_data = std::exchange(other.m_data, nullptr);
        m_size = std::exchange(other.m_size, 0);
    }
    return *this;
}

SecretBytes SecretBytes::copy_of(ByteView data) {
    SecretBytes secret(data.size());
    if (!data.empty())
        std::memcpy(secret.m_data, data.data(), data.size());
    return secret;
}

SecretBytes SecretBytes::random(std::size_t size) {
    SecretBytes secret(size);
    if (size != 0)
        randombytes_buf(secret.m_data, size);
    return secret;
}

SecretBytes SecretBytes::clone() const {
    return copy_of(view());
}

bool SecretBytes::equals(const SecretBytes& other) const noexcept {
    return equals(other.view());
}

bool SecretBytes::equals(ByteView other) const noexcept {
    return constant_time_equal(view(), other);
}

void SecretBytes::truncate(std::size_t new_size) noexcept {
    if (new_size >= m_size)
        return;
    sodium_memzero(m_data + new_size, m_size - new_size);
    m_size = new_size;
}

void SecretBytes::reset() noexcept {
    if (m_data != nullptr) {
        // sodium_free wipes too; the explicit wipe keeps the guarantee independent of that.
        sodium_memzero(m_data, m_size);
        sodium_free(m_data);
    }
    m_data = nullptr;
    m_size = 0;
}

bool constant_time_equal(ByteView a, ByteView b) noexcept {
    if (a.size() != b.size())
        return false;
    if (a.empty())
        return true;
    // Equal or not is the public outcome; the bytes compared stay secret.
    return declassify(sodium_memcmp(a.data(), b.data(), a.size())) == 0;
}

void wipe(std::span<std::uint8_t> buffer) noexcept {
    if (!buffer.empty())
        sodium_memzero(buffer.data(), buffer.size());
}

}  // namespace ssoescrow::crypto
