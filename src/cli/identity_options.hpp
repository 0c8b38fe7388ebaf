// The options of every command that opens a custodian's identity file (`custodian verify`,
// `restore approve`, `rekey approve`, `rekey prove`): the same names and help everywhere, so a
// custodian who learnt one command knows the others.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "crypto/custodian_key.hpp"
#include "crypto/result.hpp"
#include "src/passphrase.hpp"

namespace ssoescrow::cli {

// --identity FILE (required, described by `what`), --passphrase-file F, --passphrase-fd N.
void add_identity_options(CLI::App& command, std::string& identity, PassphraseSource& passphrase,
                          const std::string& what = "Your identity file (NAME.key)");

// Which custodian an identity file belongs to, read without its passphrase (the file must be
// owner-only): a foreign identity is named before any prompt.
Result<crypto::Recipient> recipient_of_identity_file(const std::string& identity);

}  // namespace ssoescrow::cli
