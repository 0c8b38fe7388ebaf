// `ssoescrow rekey ...`: custodian turnover. Every retained backup moves from the vault's escrow
// policy to a new one (custodians, threshold, signers) with approvals of the old custodians;
// nothing is asked of ENTSSO (src/rekey/, FORMAT.md 4.10).
#include "src/cli/rekey_commands.hpp"

#include "crypto/exchanged_text.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"

namespace ssoescrow::cli {

Result<rekey::RekeyRequest> read_rekey_request(const std::string& file) {
    TRY_ASSIGN(
        const Bytes bytes,
        platform::read_file(platform::path_from_utf8(file),
                            crypto::exchanged_file_read_limit(rekey::k_max_rekey_request_size)));
    return rekey::parse_rekey_request(bytes, file);
}

void add_rekey_commands(CLI::App& app, Command& selected) {
    CLI::App* rekey = app.add_subcommand(
        "rekey",
        "Custodian turnover: move every backup to a new escrow policy (request, approve, "
        "apply, prove, finish, abandon)");
    rekey->require_subcommand(1);
    rekey->footer(
        "1. the operator: 'rekey request --vault DIR [--threshold K] [--add NEW.pub] [--remove\n"
        "   FPR|OLD.pub] [--add-signer S.pub] [--remove-signer FPR] --out RKREQ'\n"
        "2. each of K old custodians: 'rekey approve RKREQ --identity A.key --out A.rkapproval'\n"
        "3. the operator: 'rekey apply RKREQ --vault DIR --approval A.rkapproval ...'\n"
        "   ('rekey finish --vault DIR' completes a committed rekey that was interrupted)\n"
        "With --verify-custodians, step 3 stops before the commit; each of K2 new custodians\n"
        "runs 'rekey prove RKREQ --vault DIR --identity D.key --out D.rkproof', then the\n"
        "operator commits with 'rekey apply RKREQ --vault DIR --proof D.rkproof ...'\n"
        "('rekey abandon --vault DIR' removes a ceremony that is not committed)");
    add_rekey_request_command(*rekey, selected);
    add_rekey_approve_command(*rekey, selected);
    add_rekey_apply_command(*rekey, selected);
    add_rekey_finish_command(*rekey, selected);
    add_rekey_prove_command(*rekey, selected);
    add_rekey_abandon_command(*rekey, selected);
}

}  // namespace ssoescrow::cli
