#include "src/identity_file.hpp"

#include "platform/file_io.hpp"
#include "platform/path_text.hpp"

namespace ssoescrow {

Result<crypto::Identity> load_identity(const std::string& path, const PassphraseSource& source) {
    TRY_ASSIGN(crypto::SecretBytes file,
               platform::read_secret_file(platform::path_from_utf8(path), k_max_identity_file_size,
                                          platform::RequireOwnerOnly::yes));
    TRY(crypto::identity_recipient(file.view(), path));
    TRY_ASSIGN(crypto::SecretBytes passphrase,
               obtain_passphrase(source, PassphrasePurpose::unlock, path));
    return crypto::open_identity(file.view(), passphrase, path);
}

}  // namespace ssoescrow
