// The thin executable: harden the process, take the arguments as UTF-8, parse the command line, run
// the chosen subcommand and turn its result into the exit code. Nothing else happens here.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/random.hpp"
#include "platform/arguments.hpp"
#include "platform/hardening.hpp"
#include "src/cli/command.hpp"
#include "src/cli/command_line_errors.hpp"
#include "src/cli/environment_defaults.hpp"
#include "src/exit_codes.hpp"
#include "src/freshness/status_report.hpp"
#include "src/terminal.hpp"

namespace {

int exit_code_for_error(ssoescrow::Error error, ssoescrow::cli::ExitConvention convention,
                        const ssoescrow::cli::CommandPath& path) {
    // A usage error with nothing more specific to say points at the command's own --help.
    if (error.code == ssoescrow::Errc::usage && error.hint.empty())
        error.hint = "run '" + path.command() + " --help' for usage";
    ssoescrow::print_error(error);
    if (convention == ssoescrow::cli::ExitConvention::monitoring) {
        return ssoescrow::k_monitor_unknown;
    }
    return ssoescrow::exit_code_for(error.code);
}

// Monitoring commands answer 3 (UNKNOWN) to a command-line error: a monitoring system must never
// read a typo in its own configuration as CRITICAL (2).
bool is_monitoring_invocation(int argc, char** argv) {
    auto word = [&](int i) { return i < argc ? std::string_view(argv[i]) : std::string_view(); };
    return word(1) == "status" || word(1) == "topology" ||
           (word(1) == "vault" && word(2) == "check");
}

// argv for CLI11 again: the program name, then `args` (which outlive the pointers).
std::vector<char*> as_argv(char* program, std::vector<std::string>& args) {
    std::vector<char*> out{program};
    for (std::string& arg : args)
        out.push_back(arg.data());
    out.push_back(nullptr);
    return out;
}

// `status --format nagios` answers a monitoring system that reads stdout only: any failure, a
// command-line error included, is also its one "SSOESCROW UNKNOWN - ..." line there. The format
// is looked up in the raw arguments because a command line that fails to parse sets no option.
bool wants_nagios_line(int argc, char** argv) {
    if (argc < 2 || std::string_view(argv[1]) != "status")
        return false;
    for (int i = 2; i < argc; ++i) {
        const std::string_view arg(argv[i]);
        if (arg == "--format=nagios" ||
            (arg == "--format" && i + 1 < argc && std::string_view(argv[i + 1]) == "nagios")) {
            return true;
        }
    }
    return false;
}

void print_nagios_unknown(const std::string& message) {
    std::cout << ssoescrow::freshness::nagios_unknown_line(message) << std::flush;
}

}  // namespace

int main(int system_argc, char** system_argv) {
    using namespace ssoescrow;
    if (auto hardened = platform::harden_process(); !hardened) {
        print_error(hardened.error());
        return k_exit_failure;
    }
    if (auto initialised = crypto::initialize(); !initialised) {
        print_error(initialised.error());
        return k_exit_failure;
    }

    // UTF-8 arguments and console on every system (on Windows argv is in the ANSI code page).
    platform::use_utf8_console();
    platform::Utf8Arguments arguments = platform::utf8_arguments(system_argc, system_argv);
    const int argc = arguments.argc();
    char** argv = arguments.argv();

    // Named explicitly: usage lines say "ssoescrow vault list", not the path it was started by.
    CLI::App app{"ssoescrow: escrow, restore and monitor the ENTSSO master secret", "ssoescrow"};
    app.require_subcommand(1);
    app.set_version_flag("--version", cli::version_text());
    cli::Command selected;
    cli::add_all_commands(app, selected);

    cli::document_environment_defaults(app);

    // A mistyped command is named (with the nearest ones) before CLI11 sees it, and every parser
    // error is reworded in the project's style with a hint at the command's own --help.
    std::vector<std::string> args(argv + std::min(argc, 1), argv + argc);
    const cli::CommandPath path = cli::find_command(app, args);
    const int usage_exit =
        is_monitoring_invocation(argc, argv) ? int{k_monitor_unknown} : int{k_exit_usage};
    const bool nagios = wants_nagios_line(argc, argv);
    if (path.unknown) {
        print_error(cli::unknown_command_error(app, path));
        return usage_exit;
    }
    // Non-secret defaults from the environment, as if given last on the command line.
    args = cli::with_environment_defaults(path, std::move(args));
    try {
        char fallback_name[] = "ssoescrow";
        std::vector<char*> parsed_argv = as_argv(argc > 0 ? argv[0] : fallback_name, args);
        app.parse(static_cast<int>(parsed_argv.size() - 1), parsed_argv.data());
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        const Error error = cli::parse_error(e, path);
        print_error(error);
        if (nagios)
            print_nagios_unknown("command line: " + error.message);
        return usage_exit;
    }
    if (!selected.run) {
        std::cerr << app.help();
        return k_exit_usage;
    }

    try {
        Result<int> outcome = selected.run();
        if (!outcome) {
            if (nagios)
                print_nagios_unknown(outcome.error().message);
            return exit_code_for_error(outcome.error(), selected.convention, path);
        }
        return *outcome;
    } catch (const std::exception& e) {
        // Exceptions are bugs or resource exhaustion; say so rather than crash.
        return exit_code_for_error(
            make_error(Errc::internal, std::string("unexpected failure: ") + e.what(),
                       "this is a bug; please report it (see SECURITY.md for sensitive reports)"),
            selected.convention, path);
    }
}
