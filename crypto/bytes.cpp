#include "crypto/bytes.hpp"

#include <sodium.h>

namespace ssoescrow {

std::string to_hex(ByteView data) {
    std::string out(data.size() * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), data.data(), data.size());
    out.pop_back();
    return out;
}

Result<Bytes> from_hex(std::string_view hex, std::string_view what) {
    if (hex.size() % 2 != 0) {
        return make_error(Errc::parse, std::string(what) + ": hex string has odd length");
    }
    for (char c : hex) {
        bool lower_hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        if (!lower_hex) {
            return make_error(Errc::parse, std::string(what) + ": not canonical lower-case hex");
        }
    }
    if (hex.empty())
        return Bytes{};  // sodium_hex2bin's output pointer must not be null
    Bytes out(hex.size() / 2);
    size_t written = 0;
    if (sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &written,
                       nullptr) != 0 ||
        written != out.size()) {
        return make_error(Errc::parse, std::string(what) + ": invalid hex");
    }
    return out;
}

std::string to_base64(ByteView data) {
    constexpr int variant = sodium_base64_VARIANT_ORIGINAL;
    std::string out(sodium_base64_ENCODED_LEN(data.size(), variant), '\0');
    sodium_bin2base64(out.data(), out.size(), data.data(), data.size(), variant);
    out.pop_back();  // the terminating NUL
    return out;
}

namespace {

int base64_digit(char c) noexcept {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

// True when `text`, already decoded, is a whole number of quads of the alphabet itself (the
// decoder also takes other bytes as aliases of its digits) with padding bits of zero: then it
// is the one canonical spelling of its bytes. False means "check by re-encoding".
bool canonical_padding_bits(std::string_view text) noexcept {
    if (text.empty() || text.size() % 4 != 0)
        return false;
    const std::size_t n = text.size();
    const std::size_t padding = text[n - 1] != '=' ? 0 : text[n - 2] == '=' ? 2 : 1;
    for (std::size_t i = 0; i < n - padding; ++i) {
        if (base64_digit(text[i]) < 0)
            return false;
    }
    if (padding == 0)
        return true;  // every bit is data
    return (base64_digit(text[n - padding - 1]) & (padding == 2 ? 0x0F : 0x03)) == 0;
}

}  // namespace

Result<Bytes> from_base64(std::string_view text, std::string_view what) {
    constexpr int variant = sodium_base64_VARIANT_ORIGINAL;
    Bytes out(text.size() / 4 * 3 + 3);
    size_t written = 0;
    const char* end = nullptr;
    if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &written, &end,
                          variant) != 0 ||
        end != text.data() + text.size()) {
        return make_error(Errc::parse, std::string(what) + ": invalid base64");
    }
    out.resize(written);
    // Canonical form only: re-encoding must give back exactly the input (rejects non-zero
    // padding bits and other alternative spellings of the same bytes). For a padded text the
    // decoder already refused every other spelling, so the padding bits are all there is to
    // check, without encoding again (readers decode several values per envelope).
    if (!canonical_padding_bits(text) && to_base64(out) != text) {
        return make_error(Errc::parse, std::string(what) + ": non-canonical base64");
    }
    return out;
}

}  // namespace ssoescrow
