// ssoescrow custodian keygen --out NAME.key [--name LABEL] [--kdf-cost LEVEL]
//                            [--passphrase-file F | --passphrase-fd N]
//
// Creates a custodian's X25519 identity: NAME.key (the secret key sealed under the custodian's
// passphrase, mode 0600) and NAME.pub (the recipient line the custodian e-mails to the vault
// administrator). Neither file is ever overwritten; if writing NAME.pub fails, NAME.key is removed
// again so no half-made key pair is left behind.
#include <filesystem>
#include <iostream>

#include <map>
#include <nlohmann/json.hpp>

#include "crypto/custodian_key.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "src/cli/command.hpp"
#include "src/cli/key_pair_output.hpp"
#include "src/passphrase.hpp"
#include "src/terminal.hpp"

namespace ssoescrow::cli {
namespace {

namespace fs = std::filesystem;

struct KeygenOptions {
    std::string out;
    std::string label;
    std::string kdf_cost = "moderate";
    PassphraseSource passphrase;
    bool json = false;
};

Result<crypto::KdfParams> kdf_params_for(const std::string& level) {
    static const std::map<std::string, crypto::KdfParams> levels = {
        {"interactive", crypto::KdfParams::interactive()},
        {"moderate", crypto::KdfParams::moderate()},
        {"sensitive", crypto::KdfParams::sensitive()},
    };
    auto found = levels.find(level);
    if (found == levels.end()) {
        return make_error(Errc::usage, "unknown --kdf-cost '" + level + "'",
                          "use interactive, moderate (default) or sensitive");
    }
    return found->second;
}

Result<fs::path> public_path_for(const fs::path& key_path) {
    if (key_path.extension() != ".key" || key_path.stem().empty()) {
        return make_error(Errc::usage,
                          "--out must name a file ending in .key (got '" +
                              platform::path_to_utf8(key_path) + "')",
                          "for example: --out alice.key (writes alice.key and alice.pub)");
    }
    fs::path pub = key_path;
    pub.replace_extension(".pub");
    return pub;
}

Result<int> run_keygen(const KeygenOptions& options) {
    const fs::path key_path = platform::path_from_utf8(options.out);
    TRY_ASSIGN(const fs::path pub_path, public_path_for(key_path));
    TRY_ASSIGN(const crypto::KdfParams params, kdf_params_for(options.kdf_cost));
    std::string label =
        options.label.empty() ? platform::path_to_utf8(key_path.stem()) : options.label;
    if (auto label_ok = crypto::check_label(label); !label_ok) {
        return make_error(Errc::usage, "--name: " + label_ok.error().message);
    }
    TRY(refuse_existing_key_pair(key_path, pub_path));

    TRY_ASSIGN(crypto::SecretBytes passphrase,
               obtain_passphrase(options.passphrase, PassphrasePurpose::create,
                                 platform::path_to_utf8(key_path.filename())));
    TRY(check_passphrase_strength(passphrase, platform::path_to_utf8(key_path.filename())));
    crypto::Identity identity = crypto::generate_identity(label);
    TRY_ASSIGN(Bytes sealed, crypto::seal_identity(identity, passphrase, params));
    passphrase.reset();

    TRY(refuse_existing_key_pair(key_path, pub_path));
    TRY(platform::write_secret_file_exclusive(key_path, sealed));
    TRY(write_public_line_or_undo_key(key_path, pub_path, identity.recipient.to_line()));

    if (options.json) {
        // README "Custodian keys": ssoescrow-custodian-keygen/1, keys in this order, only added.
        nlohmann::ordered_json doc;
        doc["schema"] = "ssoescrow-custodian-keygen/1";
        doc["identity"] = platform::path_to_utf8(key_path);
        doc["recipient_file"] = platform::path_to_utf8(pub_path);
        doc["recipient"] = identity.recipient.to_line();
        doc["fingerprint"] = identity.recipient.fingerprint();
        doc["label"] = identity.recipient.label;
        std::cout << doc.dump(2) << '\n';
    } else {
        std::cout << identity.recipient.to_line() << '\n';
    }
    print_info("wrote " + platform::path_to_utf8(key_path) +
               " (secret: keep it, and its passphrase, to yourself)");
    print_info("wrote " + platform::path_to_utf8(pub_path) + " (recipient " +
               identity.recipient.fingerprint() + ": send it to the vault administrator)");
    return 0;
}

}  // namespace

void add_custodian_commands(CLI::App& app, Command& selected) {
    CLI::App* custodian = app.add_subcommand("custodian", "Custodian key management");
    custodian->require_subcommand(1);

    auto options = std::make_shared<KeygenOptions>();
    CLI::App* keygen = custodian->add_subcommand(
        "keygen", "Create a custodian identity (NAME.key, 0600) and recipient (NAME.pub)");
    keygen->add_option("--out", options->out, "Identity file to create; must end in .key")
        ->required();
    keygen->add_option("--name", options->label,
                       "Label shown to others (default: the file name without .key)");
    keygen->add_option("--kdf-cost", options->kdf_cost,
                       "Argon2id cost: interactive, moderate (default) or sensitive");
    keygen->add_option("--passphrase-file", options->passphrase.file,
                       "Read the passphrase from this owner-only file (one trailing newline is "
                       "ignored)");
    keygen->add_option("--passphrase-fd", options->passphrase.fd,
                       "Read the passphrase from this open file descriptor");
    keygen->add_flag("--json", options->json,
                     "Print one JSON document (schema ssoescrow-custodian-keygen/1) instead of "
                     "the recipient line");
    keygen->footer(
        "The passphrase must have at least 12 characters and about 50 bits by a simple estimate\n"
        "(repeats, runs like 'abcd' or '1234' and common passwords do not count); README\n"
        "'Custodian keys' says how it is judged.\n"
        "Exit status: 0 created; 2 usage or a passphrase below the floor; 5 cannot write; 6 a\n"
        "file exists or a passphrase file is not owner-only.");
    keygen->callback(
        [options, &selected] { selected.run = [options] { return run_keygen(*options); }; });
    add_custodian_verify(*custodian, selected);
}

}  // namespace ssoescrow::cli
