#include "src/cli/environment_defaults.hpp"

#include <algorithm>
#include <optional>

#include "platform/environment.hpp"

namespace ssoescrow::cli {
namespace {

bool takes_default(const CommandPath& path, const EnvironmentDefault& entry) {
    // The bridge of `restore apply` chooses a restore into ENTSSO: only ever given explicitly.
    const bool restore_apply = path.words == std::vector<std::string>{"restore", "apply"};
    return !(restore_apply && entry.option == "--bridge");
}

bool given(const std::vector<std::string>& args, std::string_view option) {
    for (const std::string& arg : args) {
        if (arg == "--")
            return false;
        if (arg == option ||
            (arg.size() > option.size() && arg.compare(0, option.size(), option) == 0 &&
             arg[option.size()] == '='))
            return true;
    }
    return false;
}

// An option that excludes one given on the command line gets no default from the environment.
bool excluded_by_command_line(const CLI::Option& option, const std::vector<std::string>& args) {
    for (const CLI::Option* other : option.get_excludes()) {
        for (const std::string& name : other->get_lnames()) {
            if (given(args, "--" + name))
                return true;
        }
    }
    return false;
}

void document(CLI::App& app) {
    for (const EnvironmentDefault& entry : k_environment_defaults) {
        CLI::Option* option = app.get_option_no_throw(std::string(entry.option));
        if (option == nullptr)
            continue;
        const bool excluded = entry.option == "--bridge" && app.get_name() == "apply" &&
                              app.get_parent() != nullptr &&
                              app.get_parent()->get_name() == "restore";
        if (!excluded) {
            option->description(option->get_description() + " (default: $" +
                                std::string(entry.variable) + ")");
        }
    }
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
        document(*sub);
}

}  // namespace

void document_environment_defaults(CLI::App& root) {
    document(root);
}

std::vector<std::string> with_environment_defaults(const CommandPath& path,
                                                   std::vector<std::string> args) {
    if (path.app == nullptr || path.unknown)
        return args;
    for (const EnvironmentDefault& entry : k_environment_defaults) {
        const CLI::Option* option = path.app->get_option_no_throw(std::string(entry.option));
        if (option == nullptr || !takes_default(path, entry) || given(args, entry.option) ||
            excluded_by_command_line(*option, args))
            continue;
        const std::optional<std::string> value = platform::environment_variable(entry.variable);
        if (!value || value->empty())
            continue;
        auto separator = std::find(args.begin(), args.end(), std::string("--"));
        separator = args.insert(separator, std::string(entry.option));
        args.insert(separator + 1, *value);
    }
    return args;
}

}  // namespace ssoescrow::cli
