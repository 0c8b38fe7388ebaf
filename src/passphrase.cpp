#include "src/passphrase.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "platform/secret_input.hpp"
#include "platform/terminal.hpp"

namespace ssoescrow {
namespace {

using crypto::SecretBytes;

Error too_long(const std::string& what) {
    return make_error(Errc::limit_exceeded, what + ": passphrase longer than " +
                                                std::to_string(k_max_passphrase_size) + " bytes");
}

// Removes exactly one trailing LF or CR LF (editors add one); refuses an empty result.
Result<SecretBytes> finish_passphrase(SecretBytes raw, const std::string& what) {
    std::size_t size = raw.size();
    if (size > 0 && raw[size - 1] == '\n') {
        --size;
        if (size > 0 && raw[size - 1] == '\r')
            --size;
    }
    raw.truncate(size);
    if (raw.empty()) {
        return make_error(Errc::invalid_argument, what + ": the passphrase is empty",
                          "choose a non-empty passphrase");
    }
    if (raw.size() > k_max_passphrase_size)
        return too_long(what);
    return raw;
}

// Owner-only (platform/secret_input.hpp), then exactly one trailing line end removed.
Result<SecretBytes> from_file(const std::string& path) {
    // Room for a trailing CR LF, which finish_passphrase removes.
    auto raw = platform::read_owner_only_secret_file(path, k_max_passphrase_size + 2);
    if (!raw && raw.error().code == Errc::limit_exceeded)
        return too_long(path);
    if (!raw) {
        Error error = raw.error();
        error.message = "passphrase file " + error.message;
        return error;
    }
    return finish_passphrase(std::move(raw).value(), path);
}

Result<SecretBytes> from_fd(int fd) {
    const std::string what = "passphrase descriptor " + std::to_string(fd);
    auto raw = platform::read_secret_from_descriptor(fd, k_max_passphrase_size + 2, what);
    if (!raw && raw.error().code == Errc::limit_exceeded)
        return too_long(what);
    if (!raw)
        return raw.error();
    return finish_passphrase(std::move(raw).value(), what);
}

// One line from the terminal with echo off (restored on every path, Ctrl-C included).
Result<SecretBytes> ask_terminal(const std::string& prompt, const std::string& what) {
    auto line =
        platform::read_line_from_terminal(prompt, platform::Echo::off, k_max_passphrase_size);
    if (!line && line.error().code == Errc::usage) {
        return make_error(Errc::usage, "no terminal to ask for the passphrase of " + what,
                          "use --passphrase-file FILE (mode 600) or --passphrase-fd N");
    }
    if (!line && line.error().code == Errc::limit_exceeded)
        return make_error(Errc::limit_exceeded, what + ": passphrase too long");
    if (!line)
        return line.error();
    return finish_passphrase(std::move(line).value(), what);
}

Result<SecretBytes> from_terminal(PassphrasePurpose purpose, const std::string& what) {
    std::string verb =
        purpose == PassphrasePurpose::create ? "new passphrase for " : "passphrase for ";
    TRY_ASSIGN(SecretBytes first, ask_terminal("Enter " + verb + what + ": ", what));
    if (purpose == PassphrasePurpose::unlock)
        return first;
    TRY_ASSIGN(SecretBytes second, ask_terminal("Repeat " + verb + what + ": ", what));
    if (!first.equals(second)) {
        return make_error(Errc::usage, "the two passphrases for " + what + " differ",
                          "run the command again and type the same passphrase twice");
    }
    return first;
}

}  // namespace

Result<SecretBytes> obtain_passphrase(const PassphraseSource& source, PassphrasePurpose purpose,
                                      const std::string& what) {
    if (source.file && source.fd) {
        return make_error(Errc::usage,
                          "give either --passphrase-file or --passphrase-fd, not both");
    }
    if (source.file)
        return from_file(*source.file);
    if (source.fd)
        return from_fd(*source.fd);
    return from_terminal(purpose, what);
}

namespace {

// One decoded character: its code point (an invalid UTF-8 byte stands for itself).
struct CodePoint {
    std::uint32_t value = 0;
    std::size_t size = 1;
};

CodePoint decode_at(const SecretBytes& text, std::size_t i) {
    const std::uint8_t b = text[i];
    std::size_t size = b < 0x80           ? 1
                       : (b >> 5) == 0x6  ? 2
                       : (b >> 4) == 0xe  ? 3
                       : (b >> 3) == 0x1e ? 4
                                          : 0;
    if (size == 0 || i + size > text.size())
        return {b, 1};
    std::uint32_t value = size == 1   ? b
                          : size == 2 ? (b & 0x1fu)
                          : size == 3 ? (b & 0x0fu)
                                      : (b & 0x07u);
    for (std::size_t k = 1; k < size; ++k) {
        const std::uint8_t c = text[i + k];
        if ((c >> 6) != 0x2)
            return {b, 1};
        value = (value << 6) | (c & 0x3fu);
    }
    return {value, size};
}

enum CharClass : unsigned { k_lower = 1, k_upper = 2, k_digit = 4, k_symbol = 8, k_other = 16 };

unsigned class_of(std::uint32_t c) {
    if (c >= 'a' && c <= 'z')
        return k_lower;
    if (c >= 'A' && c <= 'Z')
        return k_upper;
    if (c >= '0' && c <= '9')
        return k_digit;
    if (c >= 0x20 && c < 0x7f)
        return k_symbol;
    return k_other;
}

bool neighbours(std::uint32_t a, std::uint32_t b) {
    return a == b || a + 1 == b || b + 1 == a;
}

// Effective characters of text[begin, end): those that are not a repeat or a neighbour of the
// character before them.
std::size_t effective_in(const SecretBytes& text, std::size_t begin, std::size_t end) {
    std::size_t effective = 0;
    bool have_previous = false;
    std::uint32_t previous = 0;
    for (std::size_t i = begin; i < end;) {
        const CodePoint cp = decode_at(text, i);
        if (!have_previous || !neighbours(previous, cp.value))
            ++effective;
        previous = cp.value;
        have_previous = true;
        i += cp.size;
    }
    return effective;
}

// The shortest unit (in bytes) the passphrase is a repetition of; its size when there is none.
std::size_t repeating_unit(const SecretBytes& text) {
    const std::size_t n = text.size();
    for (std::size_t unit = 1; unit <= n / 2; ++unit) {
        if (n % unit != 0)
            continue;
        bool repeats = true;
        for (std::size_t i = unit; i < n && repeats; ++i)
            repeats = text[i] == text[i - unit];
        if (repeats)
            return unit;
    }
    return n;
}

constexpr std::array<std::string_view, 16> k_common_words = {
    "password",      "passphrase", "passwort", "motdepasse", "qwerty", "qwertz",
    "azerty",        "letmein",    "welcome",  "changeme",   "secret", "admin",
    "administrator", "ssoescrow",  "biztalk",  "entsso"};

// The ASCII letters of the passphrase, lower-cased, compared with each common word (in guarded
// memory, wiped).
bool is_common_word(const SecretBytes& text) {
    SecretBytes letters(text.size());
    std::size_t used = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const std::uint8_t c = text[i];
        if (c >= 'a' && c <= 'z')
            letters[used++] = c;
        else if (c >= 'A' && c <= 'Z')
            letters[used++] = static_cast<std::uint8_t>(c - 'A' + 'a');
    }
    letters.truncate(used);
    for (std::string_view word : k_common_words) {
        if (letters.equals(as_bytes(word)))
            return true;
    }
    return false;
}

}  // namespace

PassphraseStrength estimate_passphrase(const SecretBytes& passphrase) {
    PassphraseStrength out;
    unsigned classes = 0;
    for (std::size_t i = 0; i < passphrase.size();) {
        const CodePoint cp = decode_at(passphrase, i);
        classes |= class_of(cp.value);
        ++out.characters;
        i += cp.size;
    }
    double pool = 0;
    pool += (classes & k_lower) ? 26 : 0;
    pool += (classes & k_upper) ? 26 : 0;
    pool += (classes & k_digit) ? 10 : 0;
    pool += (classes & k_symbol) ? 33 : 0;
    pool += (classes & k_other) ? 100 : 0;
    out.effective = effective_in(passphrase, 0, repeating_unit(passphrase));
    out.bits = pool > 1 ? static_cast<double>(out.effective) * std::log2(pool) : 0.0;
    out.common_word = is_common_word(passphrase);
    return out;
}

Status check_passphrase_strength(const SecretBytes& passphrase, const std::string& what) {
    const PassphraseStrength strength = estimate_passphrase(passphrase);
    const std::string advice =
        "choose a passphrase of several unrelated words (e.g. four or five words picked at "
        "random) or at least 12 random characters; README 'Custodian keys' says how it is judged";
    if (strength.characters < k_min_passphrase_characters) {
        return make_error(Errc::invalid_argument,
                          what + ": the passphrase is too short: " +
                              std::to_string(strength.characters) + " characters, at least " +
                              std::to_string(k_min_passphrase_characters) + " are required",
                          advice);
    }
    if (strength.common_word) {
        return make_error(Errc::invalid_argument,
                          what +
                              ": the passphrase is a common password with digits or symbols "
                              "added, which guessers try first",
                          advice);
    }
    if (strength.bits < k_min_passphrase_bits) {
        char bits[16];
        std::snprintf(bits, sizeof bits, "%.0f", strength.bits);
        return make_error(
            Errc::invalid_argument,
            what + ": the passphrase is too predictable: about " + std::string(bits) +
                " bits by ssoescrow's estimate (" + std::to_string(strength.effective) +
                " characters count after repeats and runs such as 'aaaa' or "
                "'1234'), at least " +
                std::to_string(static_cast<int>(k_min_passphrase_bits)) + " are required",
            advice);
    }
    return {};
}

}  // namespace ssoescrow
