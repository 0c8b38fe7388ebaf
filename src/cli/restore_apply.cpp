// `ssoescrow restore apply REQ --vault DIR --approval X ... (--bridge CMD [--drill] | --drill |
//  --extract DIR)`: step 3 of a restore (src/restore/apply.hpp has the steps), and
// `ssoescrow restore record-receipt --vault DIR FILE` for receipts written by a restore from a
// read-only copy of the vault.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crypto/exchanged_text.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "src/cli/job_options.hpp"
#include "src/cli/restore_commands.hpp"
#include "src/cli/vault_commands.hpp"
#include "src/job_events.hpp"
#include "src/json_output.hpp"
#include "src/restore/apply.hpp"
#include "src/signing_key.hpp"
#include "src/terminal.hpp"
#include "vault/text_format.hpp"

namespace ssoescrow::cli {

namespace {

struct ApplyCliOptions {
    std::string request;
    std::string key;
    std::string vault;
    std::vector<std::string> approvals;
    std::string bridge;
    unsigned bridge_timeout_seconds = 120;
    bool drill = false;
    bool drill_server = false;
    std::string extract;
    std::string receipt_out;
    std::string temp_dir;
    unsigned wait_seconds = 0;
    bool json = false;
    std::string log_json;
    bool verbose = false;
    bool quiet = false;
    std::string state_dir;
    std::string signing_key;
    bool log_syslog = false;
    bool no_log_syslog = false;
};

struct RecordOptions {
    std::string vault;
    std::string receipt;
    std::string state_dir;
    std::string signing_key;
};

std::string_view mode_word(restore::ApplyMode mode) {
    switch (mode) {
        case restore::ApplyMode::restore:
            return "restore";
        case restore::ApplyMode::drill:
            return "drill";
        case restore::ApplyMode::extract:
            return "extract";
    }
    return "restore";
}

std::string receipt_text(const restore::ApplyResult& result) {
    if (result.receipt_file) {
        return "receipt written to " + platform::path_to_utf8(*result.receipt_file) +
               " (the vault is read-only): run 'ssoescrow restore record-receipt --vault DIR " +
               platform::path_to_utf8(*result.receipt_file) + "' where the vault is writable";
    }
    return "receipt: audit record " + std::to_string(result.audit_seq);
}

void print_result(const restore::ApplyResult& result, const ApplyCliOptions& options) {
    if (options.json) {
        nlohmann::ordered_json doc;
        doc["schema"] = "ssoescrow-restore-result/1";
        doc["operation"] = mode_word(result.mode);
        doc["backup_id"] = result.backup_id;
        doc["request_id"] = result.request_id;
        doc["purpose"] = restore::purpose_name(result.purpose);
        doc["drill_server"] = result.drill_server;
        doc["password_proven"] = result.password_proven;
        doc["node"] = result.node;
        doc["msid"] = msid_or_null(result.msid);
        doc["backup_current_msid"] = msid_or_null(result.backup_msid);
        doc["custodians"] = result.custodians;
        doc["audit_seq"] = result.audit_seq == 0 ? nlohmann::ordered_json(nullptr)
                                                 : nlohmann::ordered_json(result.audit_seq);
        doc["receipt_file"] =
            result.receipt_file
                ? nlohmann::ordered_json(platform::path_to_utf8(*result.receipt_file))
                : nlohmann::ordered_json(nullptr);
        doc["bak_file"] = result.bak_file.empty()
                              ? nlohmann::ordered_json(nullptr)
                              : nlohmann::ordered_json(platform::path_to_utf8(result.bak_file));
        doc["password_file"] =
            result.password_file.empty()
                ? nlohmann::ordered_json(nullptr)
                : nlohmann::ordered_json(platform::path_to_utf8(result.password_file));
        std::cout << doc.dump(2) << "\n";
        return;
    }
    switch (result.mode) {
        case restore::ApplyMode::restore:
            std::cout << "restore of backup " << result.backup_id << " done on " << result.node
                      << ": current MSID " << result.msid << ", service running; "
                      << receipt_text(result) << "\n"
                      << "next: on a cluster, restore on every other node that can own the SSO "
                         "group (move the group there, take the ENTSSO resource offline and "
                         "online, run this command there), then fail over to each node to "
                         "verify; when every node is done, delete "
                      << (options.key.empty() ? options.request + ".key" : options.key)
                      << " (shred -u)\n";
            break;
        case restore::ApplyMode::drill:
            if (result.drill_server) {
                std::cout << "drill of backup " << result.backup_id
                          << " passed on the drill server " << result.node << ": "
                          << result.custodians.size()
                          << " approvals opened it, header MAC, payload and .bak SHA-256 verified, "
                             "ENTSSO restored the .bak with its sealed password and runs with MSID "
                          << result.msid << "; " << receipt_text(result) << "\n"
                          << "proved: the backup opens and ENTSSO accepts its password (recorded "
                             "as password proven)\n"
                          << "the drill server " << result.node
                          << " now holds this master secret: protect it like the live server, "
                             "or rebuild it\n";
                break;
            }
            std::cout << "drill of backup " << result.backup_id << " passed on " << result.node
                      << ": " << result.custodians.size()
                      << " approvals opened it, header MAC, payload and .bak SHA-256 verified"
                      << (options.bridge.empty() ? std::string()
                                                 : ", ENTSSO reads the .bak and its reminder")
                      << "; MSID " << result.msid << "; " << receipt_text(result) << "\n"
                      << "proved: K custodians can open the backup and its .bak is the one sealed"
                      << (options.bridge.empty() ? std::string()
                                                 : " (a file ENTSSO reads, with its reminder)")
                      << "\n"
                      << "not proved: that ENTSSO accepts its password (a drill gives ENTSSO no "
                         "password); a restore does, or a drill on a separate ENTSSO installation "
                         "(--drill --drill-server --bridge CMD-of-the-drill-server)\n";
            break;
        case restore::ApplyMode::extract:
            std::cout << "extracted backup " << result.backup_id << " (current MSID "
                      << result.backup_msid << "):\n"
                      << "  " << platform::path_to_utf8(result.bak_file) << "\n"
                      << "  " << platform::path_to_utf8(result.password_file) << "\n"
                      << receipt_text(result) << "\n"
                      << "manual restore, on the master secret server (on a cluster: on the "
                         "node that owns the SSO group, after taking the ENTSSO resource "
                         "offline and online):\n"
                      << "  1. copy both files there over a trusted channel\n"
                      << "  2. \"%CommonProgramW6432%\\Enterprise Single Sign-On\\ssoconfig.exe\" "
                         "-restoreSecret "
                      << platform::path_to_utf8(result.bak_file.filename()) << "\n"
                      << "  3. when asked for the password, type the first line of "
                      << platform::path_to_utf8(result.password_file.filename()) << "\n"
                      << "  4. check 'The operation completed successfully' and event 10523\n"
                      << "  5. delete both files securely everywhere (shred -u / sdelete): the "
                         "pair is the master secret\n";
            break;
    }
}

Result<int> run_apply_cli(const ApplyCliOptions& options) {
    restore::ApplyOptions job;
    // The receipt is a signed record: the key is loaded before anything is opened.
    TRY_ASSIGN(const crypto::SigningKey signer,
               signing_key_for(options.signing_key, options.state_dir));
    job.signer = &signer;
    if (!options.extract.empty()) {
        if (options.drill || !options.bridge.empty()) {
            return make_error(Errc::usage,
                              "--extract excludes --drill and --bridge (it writes files for a "
                              "manual restore)");
        }
        job.mode = restore::ApplyMode::extract;
    } else if (options.drill) {
        job.mode = restore::ApplyMode::drill;
    } else if (options.drill_server) {
        return make_error(Errc::usage, "--drill-server needs --drill and --bridge CMD");
    } else if (!options.bridge.empty()) {
        job.mode = restore::ApplyMode::restore;
    } else {
        return make_error(Errc::usage,
                          "say what to do: --bridge CMD (restore), --drill [--bridge CMD], or "
                          "--extract DIR");
    }
    if (options.approvals.empty())
        return make_error(Errc::usage, "give the custodians' approvals with --approval FILE");
    if (options.bridge_timeout_seconds == 0 || options.bridge_timeout_seconds > 3600)
        return make_error(Errc::usage, "--bridge-timeout: give 1 to 3600 seconds");
    if (options.verbose && options.quiet)
        return make_error(Errc::usage, "--verbose and --quiet exclude each other");
    job.request_file = platform::path_from_utf8(options.request);
    job.key_file = platform::path_from_utf8(options.key);
    job.vault_dir = platform::path_from_utf8(options.vault);
    for (const auto& approval : options.approvals)
        job.approvals.push_back(platform::path_from_utf8(approval));
    job.bridge_command = options.bridge;
    job.drill_server = options.drill_server;
    if (job.drill_server && job.bridge_command.empty())
        return make_error(Errc::usage,
                          "--drill-server needs --bridge CMD (the drill server's "
                          "bridge)");
    job.bridge_timeout = std::chrono::seconds(options.bridge_timeout_seconds);
    job.extract_dir = platform::path_from_utf8(options.extract);
    job.receipt_out = platform::path_from_utf8(options.receipt_out);
    job.temp_parent = platform::path_from_utf8(options.temp_dir);
    job.lock_wait = std::chrono::seconds(options.wait_seconds);
    job.state_root = platform::path_from_utf8(options.state_dir);

    vault::Clock& clock = vault::system_clock();
    JobLog log("restore",
               options.verbose ? JobLog::Verbosity::verbose
               : options.quiet ? JobLog::Verbosity::quiet
                               : JobLog::Verbosity::normal,
               clock);
    if (!options.log_json.empty())
        TRY(log.open_json(platform::path_from_utf8(options.log_json)));
    auto outcome = restore::run_apply(job, log, clock);
    if (!outcome) {
        log.failure(outcome.error());
        return outcome.error();
    }
    report_job_event(system_log_enabled(options.log_syslog, options.no_log_syslog),
                     restore_done_event(outcome.value(), options.vault));
    print_result(outcome.value(), options);
    TRY(flush_stdout());
    return 0;
}

Result<int> run_record_receipt(const RecordOptions& options) {
    TRY_ASSIGN(const Bytes bytes,
               platform::read_file(platform::path_from_utf8(options.receipt),
                                   crypto::exchanged_file_read_limit(restore::k_max_receipt_size)));
    TRY_ASSIGN(const restore::Receipt receipt, restore::parse_receipt(bytes, options.receipt));
    TRY_ASSIGN(const crypto::SigningKey signer,
               signing_key_for(options.signing_key, options.state_dir));
    TRY_ASSIGN(const restore::RecordedReceipt recorded,
               restore::record_receipt(platform::path_from_utf8(options.vault), receipt, signer,
                                       vault::system_clock(),
                                       platform::path_from_utf8(options.state_dir)));
    if (recorded.already_recorded) {
        // Idempotent, like `vault mark-departed`: a script may repeat the step safely.
        print_info("note: this receipt is already in the audit log as " + recorded.record.file +
                   "; nothing written");
    }
    std::cout << (receipt.drill ? "drill" : "restore") << " receipt of node " << receipt.node
              << " (backup " << receipt.backup_id << ") "
              << (recorded.already_recorded ? "already recorded as " : "recorded as ")
              << recorded.record.file << "\n";
    TRY(flush_stdout());
    return 0;
}

}  // namespace

void add_restore_apply_command(CLI::App& restore, Command& selected) {
    auto options = std::make_shared<ApplyCliOptions>();
    CLI::App* command = restore.add_subcommand(
        "apply", "Step 3: check the approvals, open the backup, restore / drill / extract");
    command->add_option("request", options->request, "The request file (REQ)")->required();
    command->add_option("--vault", options->vault, "Vault directory (a read-only copy is fine)")
        ->required();
    command
        ->add_option("--approval", options->approvals,
                     "A custodian's approval file (repeat: at least K)")
        ->required();
    command->add_option("--key", options->key, "The request's key file (default: REQ.key)");
    command->add_option("--bridge", options->bridge,
                        "The SSO bridge command line: restore through it (with --drill: only "
                        "check that ENTSSO reads the .bak)");
    command->add_option("--bridge-timeout", options->bridge_timeout_seconds,
                        "Seconds a bridge call may take (default 120)");
    command->add_flag("--drill", options->drill,
                      "Prove the backup restores without restoring it; recorded as a drill");
    command->add_flag("--drill-server", options->drill_server,
                      "With --drill --bridge CMD: the bridge is a separate ENTSSO installation "
                      "kept for drills; restore the backup there to prove ENTSSO accepts its "
                      "password (never a server this vault backs up)");
    command->add_option("--extract", options->extract,
                        "Break-glass: write <DIR>/ssoescrow-<backup>.bak and .password (0600) "
                        "for a manual 'ssoconfig -restoreSecret'");
    command->add_option("--receipt-out", options->receipt_out,
                        "When the vault is read-only: write the receipt to this new file "
                        "(record it later with 'restore record-receipt')");
    command->add_option("--temp-dir", options->temp_dir,
                        "Local directory for the private scratch directory of the .bak");
    command->add_option("--wait", options->wait_seconds,
                        "Seconds to wait for another writer's vault lock (default 0)");
    command->add_flag("--json", options->json,
                      "Print the result as JSON (ssoescrow-restore-result/1)");
    add_system_log_flags(*command, options->log_syslog, options->no_log_syslog);
    command->add_option("--log-json", options->log_json,
                        "Append every event as a JSON line to this file (ssoescrow-log/1)");
    command->add_option("--state-dir", options->state_dir,
                        "Where this machine remembers the newest audit record it has seen and "
                        "keeps its signing key (default ~/.local/state/ssoescrow)");
    command->add_option("--signing-key", options->signing_key,
                        "Sign the receipt with this key file instead of the host's key (the "
                        "vault's policy must list it)");
    command->add_flag("--verbose,-v", options->verbose, "Also show debug events on stderr");
    command->add_flag("--quiet,-q", options->quiet, "Only warnings and errors on stderr");
    command->footer(
        "Every approval is checked before anything is combined and each bad one is named.\n"
        "--bridge: this computer must be the master secret server (cluster: own the SSO group,\n"
        "resource online); afterwards ENTSSO must report the backup's MSID, else the restore\n"
        "FAILED. The request's purpose must allow the mode: --extract only under 'extract', a\n"
        "restore and --drill-server under 'restore' or 'extract', a plain drill under any.\n"
        "Every restore, drill and extraction is recorded in the vault's audit log (an\n"
        "extraction before its files are written); a read-only vault needs --receipt-out FILE.\n"
        "Exit status: 0 done; 2 usage; 3 bad input;\n"
        "4 bad/foreign/duplicate-conflicting approval, too few approvals, MAC/payload failure;\n"
        "5 I/O or read-only vault; 6 expired request, purpose not allowing the mode, wrong node\n"
        "(cluster), drill server backed up by this vault, output exists;\n"
        "7 vault locked; 8 vault envelope changed; 9 bridge failed; 10 ENTSSO error or the\n"
        "restore FAILED its check.");
    command->callback([options, &selected] {
        selected.run = [options] {
            auto outcome = run_apply_cli(*options);
            if (!outcome) {
                report_job_event(system_log_enabled(options->log_syslog, options->no_log_syslog),
                                 job_failed_event("restore", outcome.error(), options->vault));
            }
            return outcome;
        };
    });

    auto record = std::make_shared<RecordOptions>();
    CLI::App* record_command = restore.add_subcommand(
        "record-receipt", "Append a receipt written by a restore from a read-only vault copy");
    record_command->add_option("--vault", record->vault, "Vault directory (writable)")->required();
    record_command->add_option("receipt", record->receipt, "The receipt file (--receipt-out)")
        ->required();
    record_command->add_option("--state-dir", record->state_dir,
                               "Where this machine remembers the newest audit record it has "
                               "seen and keeps its signing key (default "
                               "~/.local/state/ssoescrow)");
    record_command->add_option("--signing-key", record->signing_key,
                               "Sign the record with this key file instead of the host's key");
    record_command->footer(
        "Recording is idempotent: a receipt already in the audit log is not written again (a\n"
        "note on stderr says so) and the exit status is 0.\n"
        "Exit status: 0 recorded (or already recorded); 3 malformed receipt; 4 damaged receipt;\n"
        "5 I/O; 6 another vault; 7 vault locked.");
    record_command->callback(
        [record, &selected] { selected.run = [record] { return run_record_receipt(*record); }; });
}

}  // namespace ssoescrow::cli
