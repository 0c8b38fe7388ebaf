// `ssoescrow vault mark-departed` and `vault reinstate`: record in the audit log that a custodian
// has left (or that a departure was recorded in error). Nothing else changes: envelopes keep the
// departed custodian's share until they are rekeyed or pruned, and `status` (escrow-health) says
// which backups that concerns and what to do. Both are idempotent: a custodian already in the
// requested state gets no second record.
#include <algorithm>
#include <cctype>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/path_text.hpp"
#include "src/cli/vault_commands.hpp"
#include "src/terminal.hpp"
#include "vault/catalog.hpp"
#include "vault/custodians.hpp"
#include "vault/text_format.hpp"
#include "vault/vault.hpp"
#include "vault/writer.hpp"

namespace ssoescrow::cli {

namespace {

enum class Change { depart, reinstate };

struct CustodianOptions {
    std::string vault;
    std::string custodian;  // a fingerprint or a NAME.pub file
    std::string reason;
    unsigned wait_seconds = 0;
    std::string state_dir;
    bool json = false;
};

// "alice (1a2b-...), bob (...)": the custodians of the current policy.
std::string known_labels(const vault::Vault& opened) {
    std::string out;
    for (const crypto::Recipient& r : opened.config().escrow.recipients)
        out += (out.empty() ? "" : ", ") + r.label + " (" + r.fingerprint() + ")";
    return out;
}

// The custodians of the vault's current policy whose label is `label`.
std::vector<const crypto::Recipient*> custodians_labelled(const vault::Vault& opened,
                                                          const std::string& label) {
    std::vector<const crypto::Recipient*> out;
    for (const crypto::Recipient& r : opened.config().escrow.recipients) {
        if (r.label == label)
            out.push_back(&r);
    }
    return out;
}

// A fingerprint (upper case accepted, as people copy it from other tools), a NAME.pub file, or
// the label of exactly one custodian of the vault's current policy (labels are only a
// convenience here: the record names the fingerprint, and an ambiguous label is refused).
Result<std::string> resolve_fingerprint(const std::string& given, const vault::Vault& opened) {
    std::string lowered = given;
    std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (vault::is_fingerprint_text(lowered))
        return lowered;
    std::error_code ec;
    if (std::filesystem::exists(platform::path_from_utf8(given), ec)) {
        TRY_ASSIGN(const crypto::Recipient recipient, read_recipient_file(given));
        return recipient.fingerprint();
    }
    const std::vector<const crypto::Recipient*> labelled = custodians_labelled(opened, given);
    if (labelled.size() == 1)
        return labelled.front()->fingerprint();
    if (labelled.size() > 1) {
        std::string fingerprints;
        for (const crypto::Recipient* r : labelled)
            fingerprints += (fingerprints.empty() ? "" : ", ") + r->fingerprint();
        return make_error(Errc::usage,
                          "--custodian: " + std::to_string(labelled.size()) +
                              " custodians of the vault are labelled '" + given +
                              "': " + fingerprints,
                          "give the fingerprint of the one you mean");
    }
    return make_error(Errc::usage,
                      "--custodian: '" + given +
                          "' is neither a recipient fingerprint, an existing file nor the label "
                          "of a custodian of the vault",
                      "give the custodian's fingerprint (xxxx-xxxx-...-xxxx, as 'vault init' "
                      "and 'vault list' print it), their NAME.pub file or their label; its "
                      "custodians: " +
                          known_labels(opened));
}

// The label the current policy gives `fingerprint` ("" when it has none).
std::string label_of(const vault::Vault& opened, const std::string& fingerprint) {
    for (const crypto::Recipient& r : opened.config().escrow.recipients) {
        if (r.fingerprint() == fingerprint)
            return r.label;
    }
    return {};
}

// "alice (1a2b-...)" when the current policy knows a label, else the fingerprint.
std::string describe_custodian(const vault::Vault& opened, const std::string& fingerprint) {
    for (const crypto::Recipient& r : opened.config().escrow.recipients) {
        if (r.fingerprint() == fingerprint)
            return r.label + " (" + fingerprint + ")";
    }
    return fingerprint;
}

std::string known_custodians(const vault::Vault& opened, const vault::CustodianRoster& roster) {
    std::string out;
    for (const auto& [fingerprint, history] : roster.custodians) {
        if (!history.in_policy_since)
            continue;
        out += (out.empty() ? "" : ", ") + describe_custodian(opened, fingerprint);
    }
    return out;
}

std::vector<std::string> current_custodians(const vault::Vault& opened) {
    std::vector<std::string> out;
    for (const crypto::Recipient& r : opened.config().escrow.recipients)
        out.push_back(r.fingerprint());
    return out;
}

// Prints how many custodians of the current policy are still here; returns that number.
std::size_t report_present(const vault::Vault& opened, const vault::CustodianRoster& roster) {
    const std::vector<std::string> current = current_custodians(opened);
    const std::size_t present = roster.count_present(current);
    std::cout << "custodians of the current policy not departed: " << present << " of "
              << current.size() << " (threshold " << opened.config().escrow.threshold << ")\n";
    return present;
}

// What the departure means for the backups in the vault now: printed after the record is written.
void report_impact(const vault::Vault& opened, const vault::CustodianRoster& roster,
                   const std::string& fingerprint) {
    const std::size_t present = report_present(opened, roster);
    const std::size_t custodians = opened.config().escrow.recipients.size();
    const unsigned threshold = opened.config().escrow.threshold;
    auto catalog = vault::build_catalog(opened);
    if (!catalog) {
        print_warning("could not list the backups sealed to this custodian: " +
                      catalog.error().message);
        return;
    }
    std::size_t verified = 0;
    std::size_t sealed_to_them = 0;
    for (const vault::CatalogEntry& entry : catalog->entries) {
        if (!entry.usable())
            continue;
        ++verified;
        if (std::find(entry.custodians.begin(), entry.custodians.end(), fingerprint) !=
            entry.custodians.end()) {
            ++sealed_to_them;
        }
    }
    std::cout << "verified backups sealed to them: " << sealed_to_them << " of " << verified
              << "\n";
    if (present < threshold) {
        print_warning(
            "fewer custodians than the threshold remain: new backups can only be opened "
            "with a departed custodian's key; move the escrow to a new vault now (see "
            "'ssoescrow status --vault " +
            platform::path_to_utf8(opened.dir()) + "')");
    } else if (sealed_to_them > 0 || present < custodians) {
        print_info("rekey needed: run 'ssoescrow status --vault " +
                   platform::path_to_utf8(opened.dir()) +
                   "' for the backups concerned and what to do");
    }
}

Result<int> run_custodian_change(Change change, const CustodianOptions& options) {
    if (auto valid = vault::check_text(options.reason, "--reason"); !valid) {
        Error error = std::move(valid).error();
        error.code = Errc::usage;
        error.hint =
            "say why in 1 to 256 printable characters, e.g. --reason \"left the company "
            "2026-11-20\"";
        return error;
    }
    TRY_ASSIGN(const vault::Vault opened,
               vault::Vault::open(platform::path_from_utf8(options.vault)));
    TRY_ASSIGN(const std::string fingerprint, resolve_fingerprint(options.custodian, opened));
    vault::Clock& clock = vault::system_clock();
    vault::LockOptions lock_options;
    lock_options.operation = change == Change::depart ? "mark-departed" : "reinstate";
    lock_options.clock = &clock;
    lock_options.wait = std::chrono::seconds(options.wait_seconds);
    TRY_ASSIGN(vault::WriteAccess access,
               vault::acquire_writer_lock(opened, lock_options, writer_context(options.state_dir)));
    vault::WriterLock& lock = access.lock;
    if (lock.taken_over())
        warn_lock_taken_over(*lock.taken_over());

    // Read under the lock: the state it decides on cannot change before the record is written.
    // The roster needs every record, which a history from the head cache does not hold.
    if (access.history.from_cache()) {
        TRY_ASSIGN(access.history.chain, vault::read_audit_chain(opened.dir(), opened.vault_id()));
    }
    vault::AuditChain& chain = access.history.chain;
    // Every answer below comes from the chain, so a damaged one is refused before any of them
    // (not only when a record would be appended).
    if (!chain.intact()) {
        return make_error(Errc::vault_damaged,
                          "the audit log of " + platform::path_to_utf8(opened.dir()) +
                              " is damaged; custodian departures cannot be read or recorded",
                          "run 'ssoescrow vault check --vault " +
                              platform::path_to_utf8(opened.dir()) + "' to see what is wrong");
    }
    vault::CustodianRoster roster = vault::custodian_roster(chain.records);
    const vault::CustodianHistory* history = roster.find(fingerprint);
    if (history == nullptr || !history->in_policy_since) {
        return make_error(Errc::invalid_argument,
                          "custodian " + fingerprint + " is not a custodian of vault " +
                              platform::path_to_utf8(opened.dir()),
                          "its custodians: " + known_custodians(opened, roster));
    }
    const std::string who = describe_custodian(opened, fingerprint);
    // A repeated change is idempotent (exit 0), with a note on stderr like every repeated step.
    const auto print_json = [&](const vault::CustodianRoster& now,
                                const vault::ChainRecord* written) {
        // README "Vaults": ssoescrow-custodian-change/1, keys in this order, only ever added.
        const std::vector<std::string> current = current_custodians(opened);
        nlohmann::ordered_json doc;
        doc["schema"] = "ssoescrow-custodian-change/1";
        doc["vault"] = platform::path_to_utf8(opened.dir());
        doc["operation"] = change == Change::depart ? "mark-departed" : "reinstate";
        doc["custodian"] = fingerprint;
        doc["label"] = describe_custodian(opened, fingerprint) == fingerprint
                           ? nlohmann::ordered_json(nullptr)
                           : nlohmann::ordered_json(label_of(opened, fingerprint));
        doc["written"] = written != nullptr;
        doc["audit_seq"] = written != nullptr ? nlohmann::ordered_json(written->record.seq)
                                              : nlohmann::ordered_json(nullptr);
        doc["present"] = now.count_present(current);
        doc["custodians"] = current.size();
        doc["threshold"] = opened.config().escrow.threshold;
        std::cout << doc.dump(2) << "\n";
        return flush_stdout();
    };
    if (change == Change::depart && history->departed) {
        TRY(lock.release());
        print_info("note: custodian " + who + " is already marked departed; nothing written");
        if (options.json) {
            TRY(print_json(roster, nullptr));
            return 0;
        }
        std::cout << "custodian " << who << " was already marked departed on "
                  << vault::format_time(history->departed->time) << " by "
                  << history->departed->actor << " (reason: " << history->departed->reason
                  << "); nothing written\n";
        TRY(flush_stdout());
        return 0;
    }
    if (change == Change::reinstate && !history->departed) {
        TRY(lock.release());
        print_info("note: custodian " + who + " is not marked departed; nothing written");
        if (options.json) {
            TRY(print_json(roster, nullptr));
            return 0;
        }
        std::cout << "custodian " << who << " is not marked departed; nothing written\n";
        TRY(flush_stdout());
        return 0;
    }

    vault::AuditRecord record;
    record.type = change == Change::depart ? vault::AuditType::custodian_departed
                                           : vault::AuditType::custodian_reinstated;
    record.time = clock.now();
    record.actor = vault::current_actor();
    record.fields.push_back({"custodian", fingerprint});
    record.fields.push_back({"reason", options.reason});
    TRY_ASSIGN(const vault::ChainRecord written,
               vault::append_to_history(opened, access.history, std::move(record)));
    remember_history_or_warn(opened, access, clock.now());
    TRY(lock.release());

    roster = vault::custodian_roster(chain.records);
    if (options.json) {
        TRY(print_json(roster, &written));
        return 0;
    }
    std::cout << (change == Change::depart ? "marked departed: " : "reinstated: ") << who
              << " (audit record " << written.record.seq << ")\n";
    if (change == Change::depart) {
        report_impact(opened, roster, fingerprint);
    } else {
        report_present(opened, roster);
    }
    TRY(flush_stdout());
    return 0;
}

void add_change_command(CLI::App& vault, Command& selected, Change change) {
    auto options = std::make_shared<CustodianOptions>();
    const bool depart = change == Change::depart;
    CLI::App* command = vault.add_subcommand(
        depart ? "mark-departed" : "reinstate",
        depart ? "Record that a custodian has left (audit-logged); status then flags every backup "
                 "sealed to them"
               : "Undo a departure recorded in error (audit-logged)");
    command->add_option("--vault", options->vault, "Vault directory")->required();
    command
        ->add_option("--custodian", options->custodian,
                     "The custodian: their fingerprint (as 'vault init' printed it), NAME.pub, "
                     "or their label when no other custodian of the vault has it")
        ->required();
    command
        ->add_option("--reason", options->reason,
                     "Why, for the audit log (1..256 printable characters; no secrets)")
        ->required();
    command->add_flag("--json", options->json,
                      "Print one JSON document (schema ssoescrow-custodian-change/1) instead of "
                      "text");
    command->add_option("--wait", options->wait_seconds,
                        "Seconds to wait for another writer's lock (default 0: fail at once)");
    command->add_option("--state-dir", options->state_dir,
                        "Where this machine remembers the newest audit record it has seen "
                        "(default ~/.local/state/ssoescrow)");
    command->footer(
        depart ? "The envelopes are not changed: backups sealed to the departed custodian keep\n"
                 "their share until they are rekeyed or pruned, and 'ssoescrow status' flags\n"
                 "them (escrow-health). Marking an already departed custodian writes nothing.\n"
                 "Exit status: 0 recorded (or already departed); 2 not a custodian of the vault;\n"
                 "5 I/O; 7 locked; 8 the audit log is damaged."
               : "Marking a custodian who is not departed writes nothing.\n"
                 "Exit status: 0 recorded (or not departed); 2 not a custodian of the vault;\n"
                 "5 I/O; 7 locked; 8 the audit log is damaged.");
    command->callback([&selected, options, change] {
        selected.convention = ExitConvention::standard;
        selected.run = [options, change]() { return run_custodian_change(change, *options); };
    });
}

}  // namespace

void add_vault_custodian_commands(CLI::App& vault, Command& selected) {
    add_change_command(vault, selected, Change::depart);
    add_change_command(vault, selected, Change::reinstate);
}

}  // namespace ssoescrow::cli
