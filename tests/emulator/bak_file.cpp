#include "bak_file.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <utility>

#include "crypto/aead.hpp"
#include "crypto/kdf.hpp"
#include "crypto/random.hpp"

namespace ssoescrow::emulator {
namespace {

using crypto::SecretBytes;

constexpr std::string_view k_magic = "SSOEMBAK";
constexpr std::uint16_t k_version = 1;
constexpr std::uint32_t k_write_ops = 2;
constexpr std::uint32_t k_write_mem_kib = 8 * 1024;
constexpr std::uint32_t k_max_ops = 4;
constexpr std::uint32_t k_min_mem_kib = 8;
constexpr std::uint32_t k_max_mem_kib = 64 * 1024;

void put16(Bytes& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(Bytes& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

Error format_error(const std::string& what) {
    return make_error(Errc::parse, what);
}

struct Parsed {
    std::string reminder;
    ByteView salt;
    crypto::KdfParams params;
    ByteView nonce;
    ByteView ciphertext;
    ByteView associated;  // everything before the ciphertext
};

class Reader {
  public:
    explicit Reader(ByteView data) : m_data(data) {}
    Result<ByteView> take(std::size_t n, const char* what) {
        if (m_data.size() - m_pos < n)
            return format_error(std::string("truncated ") + what);
        ByteView v = m_data.subspan(m_pos, n);
        m_pos += n;
        return v;
    }
    Result<std::uint32_t> u32(const char* what) {
        TRY_ASSIGN(ByteView b, take(4, what));
        return static_cast<std::uint32_t>(b[0]) | (static_cast<std::uint32_t>(b[1]) << 8) |
               (static_cast<std::uint32_t>(b[2]) << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
    }
    Result<std::uint16_t> u16(const char* what) {
        TRY_ASSIGN(ByteView b, take(2, what));
        return static_cast<std::uint16_t>(b[0] | (b[1] << 8));
    }
    std::size_t pos() const { return m_pos; }
    bool at_end() const { return m_pos == m_data.size(); }

  private:
    ByteView m_data;
    std::size_t m_pos = 0;
};

Result<Parsed> parse(ByteView file) {
    if (file.size() > k_max_bak_bytes)
        return format_error("file larger than 64 KiB");
    Reader r(file);
    Parsed p;
    TRY_ASSIGN(ByteView magic, r.take(k_magic.size(), "magic"));
    if (std::memcmp(magic.data(), k_magic.data(), k_magic.size()) != 0) {
        return format_error("not an emulator backup file (bad magic)");
    }
    TRY_ASSIGN(std::uint16_t version, r.u16("version"));
    if (version != k_version) {
        return format_error("unknown version " + std::to_string(version));
    }
    TRY_ASSIGN(std::uint16_t reminder_len, r.u16("reminder length"));
    if (reminder_len > k_max_reminder_bytes)
        return format_error("reminder too long");
    TRY_ASSIGN(ByteView reminder, r.take(reminder_len, "reminder"));
    p.reminder.assign(reinterpret_cast<const char*>(reminder.data()), reminder.size());
    TRY_ASSIGN(p.salt, r.take(crypto::k_argon2_salt_size, "salt"));
    TRY_ASSIGN(std::uint32_t ops, r.u32("kdf passes"));
    TRY_ASSIGN(std::uint32_t mem_kib, r.u32("kdf memory"));
    if (ops < 1 || ops > k_max_ops || mem_kib < k_min_mem_kib || mem_kib > k_max_mem_kib) {
        return format_error("kdf parameters out of range");
    }
    p.params = crypto::KdfParams{ops, static_cast<std::uint64_t>(mem_kib) * 1024};
    TRY_ASSIGN(p.nonce, r.take(crypto::k_aead_nonce_size, "nonce"));
    TRY_ASSIGN(std::uint32_t ct_len, r.u32("ciphertext length"));
    const std::size_t min_payload = 1 + k_secret_size + k_msid_size;
    const std::size_t max_payload = 1 + 2 * (k_secret_size + k_msid_size);
    if (ct_len != min_payload + crypto::k_aead_tag_size &&
        ct_len != max_payload + crypto::k_aead_tag_size) {
        return format_error("ciphertext length " + std::to_string(ct_len) + " is impossible");
    }
    p.associated = file.subspan(0, r.pos());
    TRY_ASSIGN(p.ciphertext, r.take(ct_len, "ciphertext"));
    if (!r.at_end())
        return format_error("data after the ciphertext");
    return p;
}

std::string msid_text(ByteView b) {
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace

bool is_msid(std::string_view t) {
    if (t.size() != k_msid_size || t.front() != '{' || t.back() != '}')
        return false;
    for (std::size_t i = 1; i + 1 < t.size(); ++i) {
        const bool dash = i == 9 || i == 14 || i == 19 || i == 24;
        const char c = t[i];
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

std::string new_msid() {
    // A version-4 GUID, printed upper-case in braces.
    Bytes b = crypto::random_bytes(16);
    b[6] = static_cast<std::uint8_t>((b[6] & 0x0F) | 0x40);
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3F) | 0x80);
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string out = "{";
    for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out += '-';
        out += k_hex[b[i] >> 4];
        out += k_hex[b[i] & 0x0F];
    }
    out += '}';
    return out;
}

Result<std::string> read_bak_reminder(ByteView file) {
    TRY_ASSIGN(Parsed p, parse(file));
    return std::move(p.reminder);
}

Result<MasterSecrets> open_bak(ByteView file, const SecretBytes& password) {
    TRY_ASSIGN(Parsed p, parse(file));
    TRY_ASSIGN(SecretBytes key,
               crypto::argon2id(password, p.salt, p.params, crypto::k_aead_key_size));
    auto opened = crypto::aead_open(key, p.nonce, p.ciphertext, p.associated);
    if (!opened.ok()) {
        if (opened.error().code == Errc::auth_failed) {
            return make_error(Errc::auth_failed, "the password is incorrect for the backup file");
        }
        return std::move(opened).error();
    }
    const SecretBytes& payload = opened.value();
    MasterSecrets s;
    const std::uint8_t flags = payload[0];
    const bool has_previous = (flags & 1) != 0;
    const std::size_t expected = 1 + (has_previous ? 2 : 1) * (k_secret_size + k_msid_size);
    if (flags > 1 || payload.size() != expected)
        return format_error("payload layout");
    std::size_t at = 1;
    s.current = SecretBytes::copy_of(payload.view().subspan(at, k_secret_size));
    at += k_secret_size;
    s.current_msid = msid_text(payload.view().subspan(at, k_msid_size));
    at += k_msid_size;
    if (!is_msid(s.current_msid))
        return format_error("current msid");
    if (has_previous) {
        s.previous = SecretBytes::copy_of(payload.view().subspan(at, k_secret_size));
        at += k_secret_size;
        s.previous_msid = msid_text(payload.view().subspan(at, k_msid_size));
        if (!is_msid(*s.previous_msid))
            return format_error("previous msid");
    }
    return s;
}

Result<Bytes> seal_bak(const MasterSecrets& s, const SecretBytes& password,
                       std::string_view reminder) {
    if (s.current.size() != k_secret_size || !is_msid(s.current_msid) ||
        (s.previous_msid.has_value() &&
         (s.previous.size() != k_secret_size || !is_msid(*s.previous_msid)))) {
        return make_error(Errc::internal, "master secrets of the wrong shape");
    }
    if (reminder.size() > k_max_reminder_bytes) {
        return make_error(Errc::invalid_argument, "reminder too long");
    }
    const bool has_previous = s.previous_msid.has_value();
    SecretBytes payload(1 + (has_previous ? 2 : 1) * (k_secret_size + k_msid_size));
    payload[0] = has_previous ? 1 : 0;
    std::size_t at = 1;
    std::memcpy(payload.data() + at, s.current.data(), k_secret_size);
    at += k_secret_size;
    std::memcpy(payload.data() + at, s.current_msid.data(), k_msid_size);
    at += k_msid_size;
    if (has_previous) {
        std::memcpy(payload.data() + at, s.previous.data(), k_secret_size);
        at += k_secret_size;
        std::memcpy(payload.data() + at, s.previous_msid->data(), k_msid_size);
    }

    Bytes out(k_magic.begin(), k_magic.end());
    put16(out, k_version);
    put16(out, static_cast<std::uint16_t>(reminder.size()));
    out.insert(out.end(), reminder.begin(), reminder.end());
    const Bytes salt = crypto::random_bytes(crypto::k_argon2_salt_size);
    out.insert(out.end(), salt.begin(), salt.end());
    put32(out, k_write_ops);
    put32(out, k_write_mem_kib);
    const Bytes nonce = crypto::random_bytes(crypto::k_aead_nonce_size);
    out.insert(out.end(), nonce.begin(), nonce.end());
    put32(out, static_cast<std::uint32_t>(payload.size() + crypto::k_aead_tag_size));

    const crypto::KdfParams params{k_write_ops, std::uint64_t{k_write_mem_kib} * 1024};
    TRY_ASSIGN(SecretBytes key, crypto::argon2id(password, salt, params, crypto::k_aead_key_size));
    TRY_ASSIGN(Bytes sealed, crypto::aead_seal(key, nonce, payload.view(), out));
    out.insert(out.end(), sealed.begin(), sealed.end());
    return out;
}

}  // namespace ssoescrow::emulator
