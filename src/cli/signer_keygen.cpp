// ssoescrow signer keygen --out FILE [--name LABEL]
//
// Makes a signing key for an operator (or a host that keeps its key elsewhere): FILE (0600,
// never overwritten) and FILE.pub (its signer line, for `vault init --signer FILE.pub`); the line
// is also printed. The key is not passphrase-protected: a scheduled job must be able to use it
// unattended; protect it like an SSH host key (owner-only, never in the vault).
#include <filesystem>
#include <iostream>
#include <memory>

#include "crypto/custodian_key.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "src/cli/command.hpp"
#include "src/cli/key_pair_output.hpp"
#include "src/signing_key.hpp"
#include "src/terminal.hpp"

namespace ssoescrow::cli {
namespace {

namespace fs = std::filesystem;

struct KeygenOptions {
    std::string out;
    std::string label;
};

Result<int> run_keygen(const KeygenOptions& options) {
    const fs::path key_path = platform::path_from_utf8(options.out);
    const fs::path pub_path = platform::path_from_utf8(options.out + ".pub");
    const std::string label =
        options.label.empty() ? platform::path_to_utf8(key_path.stem()) : options.label;
    if (auto label_ok = crypto::check_label(label); !label_ok) {
        return make_error(Errc::usage, "--name: " + label_ok.error().message);
    }
    TRY(refuse_existing_key_pair(key_path, pub_path));
    const crypto::SigningKey key = crypto::generate_signing_key(label);
    TRY(write_signing_key(key_path, key));
    TRY(write_public_line_or_undo_key(key_path, pub_path, key.signer.to_line()));
    std::cout << key.signer.to_line() << '\n';
    print_info("wrote " + platform::path_to_utf8(key_path) +
               " (secret: owner-only, never in the vault; use it with --signing-key)");
    print_info("wrote " + platform::path_to_utf8(pub_path) + " (signer " +
               key.signer.fingerprint() + ": list it with 'vault init --signer')");
    return 0;
}

}  // namespace

void add_signer_keygen(CLI::App& signer, Command& selected) {
    auto options = std::make_shared<KeygenOptions>();
    CLI::App* keygen = signer.add_subcommand(
        "keygen", "Create a signing key (FILE, 0600) and its signer line (FILE.pub)");
    keygen->add_option("--out", options->out, "Signing key file to create")->required();
    keygen->add_option("--name", options->label,
                       "Label shown to others (default: the file name without its extension)");
    keygen->footer("Exit status: 0 created; 2 usage; 5 cannot write; 6 a file exists.");
    keygen->callback(
        [options, &selected] { selected.run = [options] { return run_keygen(*options); }; });
}

void add_signer_commands(CLI::App& app, Command& selected) {
    CLI::App* signer = app.add_subcommand("signer", "Signing keys of backup hosts and operators");
    signer->require_subcommand(1);
    add_signer_show(*signer, selected);
    add_signer_keygen(*signer, selected);
}

}  // namespace ssoescrow::cli
