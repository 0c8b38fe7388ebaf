#include "src/cli/identity_options.hpp"

#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "src/identity_file.hpp"

namespace ssoescrow::cli {

void add_identity_options(CLI::App& command, std::string& identity, PassphraseSource& passphrase,
                          const std::string& what) {
    command.add_option("--identity", identity, what)->required();
    command.add_option("--passphrase-file", passphrase.file,
                       "Read the passphrase from this owner-only file");
    command.add_option("--passphrase-fd", passphrase.fd,
                       "Read the passphrase from this open file descriptor");
}

Result<crypto::Recipient> recipient_of_identity_file(const std::string& identity) {
    TRY_ASSIGN(
        const crypto::SecretBytes file,
        platform::read_secret_file(platform::path_from_utf8(identity), k_max_identity_file_size,
                                   platform::RequireOwnerOnly::yes));
    return crypto::identity_recipient(file.view(), identity);
}

}  // namespace ssoescrow::cli
