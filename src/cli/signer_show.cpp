// ssoescrow signer show [--state-dir DIR]
//
// Prints this host's signer line (the public half of its signing key), creating the key in the
// state root on first use (DIR/signing.key with --state-dir DIR, owner-only, like an SSH host
// key). The line is what `vault init --signer FILE` takes for the other nodes of a cluster; the
// host running `vault init` is included without it.
#include <iostream>
#include <memory>

#include "src/cli/command.hpp"
#include "src/signing_key.hpp"

namespace ssoescrow::cli {
namespace {

struct ShowOptions {
    std::string state_dir;
};

Result<int> run_show(const ShowOptions& options) {
    TRY_ASSIGN(const crypto::SigningKey key, host_signing_key(options.state_dir));
    std::cout << key.signer.to_line() << '\n';
    return 0;
}

}  // namespace

void add_signer_show(CLI::App& signer, Command& selected) {
    auto options = std::make_shared<ShowOptions>();
    CLI::App* show = signer.add_subcommand(
        "show", "Print this host's signer line, creating its signing key on first use");
    show->add_option("--state-dir", options->state_dir,
                     "State root holding signing.key (default: $XDG_STATE_HOME/ssoescrow or "
                     "~/.local/state/ssoescrow); the same --state-dir as the backup job's");
    show->footer(
        "Exit status: 0 printed; 5 cannot create or read the key; 6 the key file is "
        "not owner-only.");
    show->callback(
        [options, &selected] { selected.run = [options] { return run_show(*options); }; });
}

}  // namespace ssoescrow::cli
