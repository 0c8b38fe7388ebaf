#include "src/cli/command_line_errors.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace ssoescrow::cli {
namespace {

std::vector<CLI::App*> subcommands_of(CLI::App& app) {
    return app.get_subcommands([](CLI::App*) { return true; });
}

CLI::App* subcommand_named(CLI::App& app, std::string_view word) {
    for (CLI::App* sub : subcommands_of(app)) {
        if (sub->get_name() == word)
            return sub;
    }
    return nullptr;
}

std::vector<std::string> names_of(CLI::App& app) {
    std::vector<std::string> names;
    for (CLI::App* sub : subcommands_of(app))
        names.push_back(sub->get_name());
    return names;
}

// Optimal string alignment distance (Levenshtein with adjacent transpositions).
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i)
        d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j)
        d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.size()][b.size()];
}

std::string join_words(const std::vector<std::string>& words) {
    std::string out;
    for (const std::string& word : words)
        out += (out.empty() ? "" : " ") + word;
    return out;
}

// Every command below `app` whose own name is `word`, as word lists ("list" -> {"vault", "list"}).
void find_nested(CLI::App& app, std::string_view word, std::vector<std::string>& prefix,
                 std::vector<std::string>& found) {
    for (CLI::App* sub : subcommands_of(app)) {
        prefix.push_back(sub->get_name());
        if (sub->get_name() == word && prefix.size() > 1)
            found.push_back(join_words(prefix));
        find_nested(*sub, word, prefix, found);
        prefix.pop_back();
    }
}

std::string quoted_list(const std::vector<std::string>& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0)
            out += i + 1 == items.size() ? " or " : ", ";
        out += "'" + items[i] + "'";
    }
    return out;
}

std::string help_hint(const CommandPath& path) {
    return "run '" + path.command() + " --help' for usage";
}

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

// CLI11's sentence without its capital and full stop, for the messages it has no better word for.
std::string lower_sentence(std::string text) {
    if (!text.empty() && text.front() != '-')
        text.front() = static_cast<char>(std::tolower(static_cast<unsigned char>(text.front())));
    while (!text.empty() && (text.back() == '.' || text.back() == ' '))
        text.pop_back();
    return text;
}

// "[--a,--b]" -> "--a, --b"
std::string option_list(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '[' || c == ']')
            continue;
        out += c;
        if (c == ',')
            out += ' ';
    }
    return out;
}

std::string reworded(const CLI::ParseError& error, const CommandPath& path) {
    const std::string what = error.what();
    const std::string missing_command = "A subcommand is required";
    if (starts_with(what, missing_command)) {
        return "'" + path.command() + "' needs a command: one of " +
               join_words(names_of(*path.app));
    }
    for (std::string_view prefix : {"The following arguments were not expected: ",
                                    "The following argument was not expected: "}) {
        if (starts_with(what, prefix))
            return "unexpected argument " + what.substr(prefix.size());
    }
    for (std::string_view prefix : {"Exactly 1 option from ", "At least 1 option from "}) {
        if (starts_with(what, prefix)) {
            const std::string rest = what.substr(prefix.size());
            const std::size_t end = rest.find(']');
            const std::string options = option_list(rest.substr(0, end + 1));
            return (prefix[0] == 'E' ? "give exactly one of " : "give at least one of ") + options;
        }
    }
    if (const std::size_t at = what.find(": 1 required "); at != std::string::npos) {
        return what.substr(0, at) + " needs a value";  // "--vault: 1 required TEXT missing"
    }
    constexpr std::string_view k_conversion = "Could not convert: ";
    if (starts_with(what, k_conversion)) {
        const std::string rest = what.substr(k_conversion.size());  // "--wait = abc"
        const std::size_t eq = rest.find(" = ");
        if (eq != std::string::npos) {
            return rest.substr(0, eq) + ": '" + rest.substr(eq + 3) + "' is not a valid value";
        }
    }
    return lower_sentence(what);
}

}  // namespace

std::string CommandPath::command() const {
    return words.empty() ? std::string("ssoescrow") : "ssoescrow " + join_words(words);
}

CommandPath find_command(CLI::App& root, const std::vector<std::string>& args) {
    CommandPath path;
    path.app = &root;
    for (const std::string& word : args) {
        if (word.empty() || word[0] == '-' || subcommands_of(*path.app).empty())
            break;
        CLI::App* sub = subcommand_named(*path.app, word);
        if (sub == nullptr) {
            path.unknown = word;
            break;
        }
        path.app = sub;
        path.words.push_back(word);
    }
    return path;
}

std::vector<std::string> nearest_names(std::string_view word,
                                       const std::vector<std::string>& candidates) {
    std::vector<std::pair<std::size_t, std::string>> scored;
    for (const std::string& name : candidates) {
        const std::size_t distance = edit_distance(word, name);
        const bool prefix = word.size() >= 2 && starts_with(name, word);
        if (distance <= 2 || prefix)
            scored.emplace_back(prefix ? 0 : distance, name);
    }
    std::stable_sort(scored.begin(), scored.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    // Only the nearest: "lsit" is "list" (one swap), not also "init" (two edits).
    std::vector<std::string> out;
    for (auto& [distance, name] : scored) {
        if (distance == scored.front().first)
            out.push_back(std::move(name));
    }
    return out;
}

Error unknown_command_error(CLI::App& root, const CommandPath& path) {
    const std::string word = path.unknown.value_or("");
    std::vector<std::string> typed = path.words;
    typed.push_back(word);
    std::vector<std::string> suggestions;
    for (const std::string& name : nearest_names(word, names_of(*path.app))) {
        std::vector<std::string> words = path.words;
        words.push_back(name);
        suggestions.push_back(join_words(words));
    }
    if (suggestions.empty() && path.words.empty()) {
        // `ssoescrow list`: the name of a command inside a group.
        std::vector<std::string> prefix;
        find_nested(root, word, prefix, suggestions);
    }
    std::string hint;
    if (!suggestions.empty())
        hint = "did you mean " + quoted_list(suggestions) + "? ";
    hint += "'" + path.command() + " --help' lists the commands";
    return make_error(Errc::usage, "unknown command '" + join_words(typed) + "'", hint);
}

Error parse_error(const CLI::ParseError& error, const CommandPath& path) {
    std::string message = reworded(error, path);
    // "vault list: --vault is required"; the missing-command sentence names the command itself.
    const bool names_command = message.front() == '\'';
    if (!path.words.empty() && !names_command)
        message = join_words(path.words) + ": " + message;
    return make_error(Errc::usage, message, help_hint(path));
}

}  // namespace ssoescrow::cli
