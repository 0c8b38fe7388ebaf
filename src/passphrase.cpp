#include "src/passphrase.hpp"

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

}  // namespace ssoescrow
