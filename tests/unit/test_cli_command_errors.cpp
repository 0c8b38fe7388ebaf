// Command-line mistakes in the project's words: the nearest commands are suggested, parser
// errors are reworded, every hint points at the command's own --help.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "src/cli/command_line_errors.hpp"

using namespace ssoescrow;
using namespace ssoescrow::cli;

namespace {

struct Tree {
    CLI::App root{"test", "ssoescrow"};
    Tree() {
        CLI::App* vault = root.add_subcommand("vault", "vaults");
        for (const char* name : {"init", "list", "check", "prune", "unlock"})
            vault->add_subcommand(name, name)->add_option("--vault", "dir");
        CLI::App* restore = root.add_subcommand("restore", "restores");
        for (const char* name : {"request", "approve", "apply"})
            restore->add_subcommand(name, name);
        root.add_subcommand("status", "status");
    }
};

}  // namespace

TEST_CASE("cli: the nearest command names are suggested, only the nearest", "[cli]") {
    const std::vector<std::string> names = {"init", "list", "check", "prune", "unlock"};
    CHECK(nearest_names("lsit", names) == std::vector<std::string>{"list"});
    CHECK(nearest_names("chek", names) == std::vector<std::string>{"check"});
    CHECK(nearest_names("pr", names) == std::vector<std::string>{"prune"});
    CHECK(nearest_names("xyzzy", names).empty());
    CHECK(nearest_names("unlcok", names) == std::vector<std::string>{"unlock"});
}

TEST_CASE("cli: an unknown command is named with the nearest ones and the group's --help",
          "[cli]") {
    Tree tree;
    const CommandPath path = find_command(tree.root, {"vault", "lsit", "--vault", "v"});
    REQUIRE(path.unknown);
    CHECK(*path.unknown == "lsit");
    CHECK(path.command() == "ssoescrow vault");
    const Error error = unknown_command_error(tree.root, path);
    CHECK(error.code == Errc::usage);
    CHECK(error.message == "unknown command 'vault lsit'");
    CHECK(error.hint == "did you mean 'vault list'? 'ssoescrow vault --help' lists the commands");

    // A command of a group named alone at the top.
    const CommandPath top = find_command(tree.root, {"apply"});
    CHECK(unknown_command_error(tree.root, top).hint ==
          "did you mean 'restore apply'? 'ssoescrow --help' lists the commands");

    // Known commands are walked down to the leaf; options stop the walk.
    const CommandPath known = find_command(tree.root, {"vault", "list", "--vault", "list"});
    CHECK_FALSE(known.unknown);
    CHECK(known.command() == "ssoescrow vault list");
}

TEST_CASE("cli: parser errors are reworded, with the command's own --help", "[cli]") {
    Tree tree;
    const std::vector<std::string> args = {"vault", "list", "extra"};
    const CommandPath path = find_command(tree.root, args);
    const Error extra = parse_error(CLI::ExtrasError({"extra"}), path);
    CHECK(extra.message == "vault list: unexpected argument extra");
    CHECK(extra.hint == "run 'ssoescrow vault list --help' for usage");
    CHECK(parse_error(CLI::RequiredError("--vault"), path).message ==
          "vault list: --vault is required");
    CHECK(parse_error(CLI::ArgumentMismatch::TypedAtLeast("--vault", 1, "TEXT"), path).message ==
          "vault list: --vault needs a value");
    CHECK(parse_error(CLI::ConversionError("--wait", std::vector<std::string>{"soon"}), path)
              .message == "vault list: --wait: 'soon' is not a valid value");
    const CommandPath group = find_command(tree.root, {"vault"});
    CHECK(parse_error(CLI::RequiredError::Subcommand(1), group).message ==
          "'ssoescrow vault' needs a command: one of init list check prune unlock");
}
