// ssoescrow custodian verify --identity A.key [--passphrase-file F | --passphrase-fd N]
//
// A custodian's own health check: proves the identity file is intact, owner-only and opens with
// the passphrase the custodian remembers, and prints the recipient line so it can be compared
// with the one in the vault policy. Nothing is written.
#include <iostream>

#include "src/cli/command.hpp"
#include "src/cli/identity_options.hpp"
#include "src/identity_file.hpp"
#include "src/terminal.hpp"

namespace ssoescrow::cli {
namespace {

struct VerifyOptions {
    std::string identity;
    PassphraseSource passphrase;
};

Result<int> run_verify(const VerifyOptions& options) {
    TRY_ASSIGN(crypto::Identity identity, load_identity(options.identity, options.passphrase));
    std::cout << identity.recipient.to_line() << '\n';
    print_info(options.identity + " opens with this passphrase (recipient " +
               identity.recipient.fingerprint() + ")");
    return 0;
}

}  // namespace

void add_custodian_verify(CLI::App& custodian, Command& selected) {
    auto options = std::make_shared<VerifyOptions>();
    CLI::App* verify = custodian.add_subcommand(
        "verify", "Check that an identity file is intact and opens with your passphrase");
    add_identity_options(*verify, options->identity, options->passphrase,
                         "The custodian's NAME.key");
    verify->footer(
        "Exit status: 0 the identity opens; 3 malformed or newer file; 4 wrong passphrase or "
        "damaged file; 5 cannot read; 6 file readable by others.");
    verify->callback(
        [options, &selected] { selected.run = [options] { return run_verify(*options); }; });
}

}  // namespace ssoescrow::cli
