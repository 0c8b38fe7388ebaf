#include "src/identity_file.hpp"

#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "src/terminal.hpp"

namespace ssoescrow {

Result<crypto::Identity> load_identity(const std::string& path, const PassphraseSource& source) {
    TRY_ASSIGN(crypto::SecretBytes file,
               platform::read_secret_file(platform::path_from_utf8(path), k_max_identity_file_size,
                                          platform::RequireOwnerOnly::yes));
    TRY(crypto::identity_recipient(file.view(), path));
    TRY_ASSIGN(crypto::SecretBytes passphrase,
               obtain_passphrase(source, PassphrasePurpose::unlock, path));
    TRY_ASSIGN(crypto::Identity identity, crypto::open_identity(file.view(), passphrase, path));
    // Accepted (the custodian's share must stay reachable), but the file is cheap to attack
    // offline: say so every time it is used.
    if (crypto::below_kdf_floor(identity.kdf)) {
        print_warning(path + " is sealed with argon2id cost " + crypto::describe_kdf(identity.kdf) +
                      ", below the floor of " +
                      crypto::describe_kdf(crypto::KdfParams::interactive()) +
                      ": a stolen copy is cheap to guess; make a new key with 'ssoescrow "
                      "custodian keygen' and have the escrow moved to it");
    }
    return identity;
}

}  // namespace ssoescrow
