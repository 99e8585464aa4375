#include "clients/cli/args.h"

#include <algorithm>
#include <charconv>

namespace forkline::cli {
namespace {

const OptionSpec* Find(const std::vector<OptionSpec>& specs, const std::string& name) {
  for (const OptionSpec& s : specs) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

bool IsOption(const std::string& arg) {
  return arg.size() > 1 && arg[0] == '-';
}

// "--name=value" -> ("name", "value"); "-h" -> "help".
std::pair<std::string, std::optional<std::string>> SplitOption(const std::string& arg) {
  if (arg == "-h") return {"help", std::nullopt};
  std::string body = arg.substr(arg.rfind("--", 0) == 0 ? 2 : 1);
  const std::size_t eq = body.find('=');
  if (eq == std::string::npos) return {body, std::nullopt};
  return {body.substr(0, eq), body.substr(eq + 1)};
}

}  // namespace

std::optional<std::string> ParsedArgs::Get(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

Result<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                             const std::vector<OptionSpec>& specs) {
  ParsedArgs out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      out.positional.insert(out.positional.end(), args.begin() + static_cast<long>(i) + 1,
                            args.end());
      break;
    }
    if (!IsOption(arg)) {
      out.positional.push_back(arg);
      continue;
    }
    auto [name, inline_value] = SplitOption(arg);
    const OptionSpec* spec = Find(specs, name);
    if (spec == nullptr) return Status::BadRequest("unknown option '" + arg + "'");
    if (!spec->takes_value) {
      if (inline_value) return Status::BadRequest("option --" + name + " takes no value");
      out.flags.insert(name);
      continue;
    }
    if (inline_value) {
      out.values[name] = *inline_value;
    } else if (i + 1 < args.size()) {
      out.values[name] = args[++i];
    } else {
      return Status::BadRequest("option --" + name + " needs a value (" + spec->value_name + ")");
    }
  }
  return out;
}

int FindFirstPositional(const std::vector<std::string>& args,
                        const std::vector<OptionSpec>& specs) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") return i + 1 < args.size() ? static_cast<int>(i + 1) : -1;
    if (!IsOption(args[i])) return static_cast<int>(i);
    auto [name, inline_value] = SplitOption(args[i]);
    const OptionSpec* spec = Find(specs, name);
    if (spec != nullptr && spec->takes_value && !inline_value) ++i;
  }
  return -1;
}

std::string OptionsHelp(const std::vector<OptionSpec>& specs) {
  std::vector<std::string> heads;
  std::size_t width = 0;
  for (const OptionSpec& s : specs) {
    heads.push_back("--" + s.name + (s.takes_value ? " " + s.value_name : ""));
    width = std::max(width, heads.back().size());
  }
  std::string out;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    out += "  " + heads[i] + std::string(width - heads[i].size() + 3, ' ') + specs[i].help + "\n";
  }
  return out;
}

Result<std::optional<long long>> IntOption(const ParsedArgs& args, const std::string& name) {
  std::optional<std::string> v = args.Get(name);
  if (!v) return std::optional<long long>();
  long long n = 0;
  const char* end = v->data() + v->size();
  auto [ptr, ec] = std::from_chars(v->data(), end, n);
  if (ec != std::errc() || ptr != end || n < 0) {
    return Status::BadRequest("--" + name + " wants a non-negative integer, got '" + *v + "'");
  }
  return std::optional<long long>(n);
}

}  // namespace forkline::cli
