// `ssoescrow import --vault DIR --bak FILE [--password-file F]`: seals a backup made by hand
// (ssoconfig -backupSecret) or by the configuration wizard (SSOxxxx.bak).
#include <memory>
#include <optional>

#include "platform/path_text.hpp"
#include "src/cli/command.hpp"
#include "src/cli/job_options.hpp"
#include "src/passphrase.hpp"
#include "src/signing_key.hpp"
#include "vault/clock.hpp"
#include "vault/text_format.hpp"

namespace ssoescrow::cli {

namespace {

struct ImportCliOptions {
    JobCliOptions job;
    std::string bak;
    std::optional<std::string> password_file;
    std::optional<int> password_fd;
    std::string current_msid;
    std::string previous_msid;
    std::string computer;
    std::string secret_server;
    std::string created;
};

Result<int> run_import(const ImportCliOptions& options) {
    TRY(validate_job_options(options.job));
    vault::Clock& clock = vault::system_clock();
    JobLog log("import", verbosity_of(options.job), clock);
    if (!options.job.log_json.empty())
        TRY(log.open_json(platform::path_from_utf8(options.job.log_json)));
    PassphraseSource source{options.password_file, options.password_fd};
    TRY_ASSIGN(const crypto::SecretBytes password,
               obtain_passphrase(source, PassphrasePurpose::unlock,
                                 "the ENTSSO backup file " + options.bak));
    backup::ImportOptions job;
    TRY_ASSIGN(const crypto::SigningKey signer,
               signing_key_for(options.job.signing_key, options.job.state_dir));
    job.vault = vault_target_of(options.job);
    job.vault.signer = &signer;
    job.bridge = bridge_target_of(options.job);
    job.bak_file = platform::path_from_utf8(options.bak);
    job.current_msid = options.current_msid;
    job.previous_msid = options.previous_msid;
    job.computer = options.computer;
    job.secret_server = options.secret_server;
    if (!options.created.empty()) {
        auto created = vault::parse_time(options.created, "--created");
        if (!created) {
            return make_error(Errc::usage, created.error().message,
                              "give --created as YYYY-MM-DDTHH:MM:SSZ (UTC)");
        }
        job.created = created.value();
    }
    return report_job(backup::run_import(job, password, log, clock), options.job, log);
}

}  // namespace

void add_import_command(CLI::App& app, Command& selected) {
    auto options = std::make_shared<ImportCliOptions>();
    CLI::App* command = app.add_subcommand(
        "import", "Seal an existing ENTSSO backup file (ssoconfig -backupSecret, the wizard)");
    add_job_options(*command, options->job, false);
    command->add_option("--bak", options->bak, "The .bak file to seal")->required();
    command->add_option("--password-file,--passphrase-file", options->password_file,
                        "File holding the .bak's password (owner-only; one trailing newline "
                        "is removed). Default: asked on the terminal");
    command->add_option("--password-fd,--passphrase-fd", options->password_fd,
                        "Read the .bak's password from this open file descriptor");
    command->add_option("--current-msid", options->current_msid,
                        "The file's current MSID, if known (default: recorded as unknown)");
    command->add_option("--previous-msid", options->previous_msid,
                        "The file's previous MSID, if known");
    command->add_option("--computer", options->computer,
                        "The computer the backup was made on (default: unknown)");
    command->add_option("--secret-server", options->secret_server,
                        "The master secret server it belongs to (default: unknown)");
    command->add_option("--created", options->created,
                        "When the .bak was made (YYYY-MM-DDTHH:MM:SSZ); default: the file's "
                        "modification time. backup-age counts from it");
    command->footer(
        "With --bridge the file's reminder is read through ENTSSO (proving ENTSSO can read the\n"
        "file) and stored. ENTSSO has no way to check a password without restoring, so a typed\n"
        "password stays unproven (status warns) until a restore uses it: a drill on a drill\n"
        "server (restore apply --drill --drill-server --bridge CMD) or a restore of the live\n"
        "MSID. Imported backups whose MSIDs are unknown never count as current for 'status'.\n"
        "Exit status: as for backup; 3 also for a password outside ENTSSO's 7..256 characters.");
    command->callback([&selected, options] {
        selected.convention = ExitConvention::standard;
        selected.run = [options]() {
            return report_failure(run_import(*options), "import", options->job);
        };
    });
}

}  // namespace ssoescrow::cli
