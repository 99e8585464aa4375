#pragma once
// A small command-line parser: "--name value", "--name=value", boolean "--flag",
// "-h" for "--help", "--" ends the options, "-" is a positional (stdin).
// Thread safety: plain values.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "eventstore/status.h"

namespace forkline::cli {

struct OptionSpec {
  std::string name;  // without the leading "--"
  bool takes_value = false;
  std::string value_name;  // for help: "FILE", "N", …
  std::string help;
};

struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  // options given with a value
  std::set<std::string> flags;                // boolean options given

  bool Has(const std::string& name) const { return flags.count(name) || values.count(name); }
  std::optional<std::string> Get(const std::string& name) const;
};

// Parses `args` against `specs`. kBadRequest names an unknown option or a missing value.
Result<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                             const std::vector<OptionSpec>& specs);

// The index of the first positional argument in `args`, skipping the values of the
// options in `specs` that take one; -1 when there is none.
int FindFirstPositional(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs);

// "  --name VALUE   help" lines, aligned.
std::string OptionsHelp(const std::vector<OptionSpec>& specs);

// A non-negative integer option, or kBadRequest naming it.
Result<std::optional<long long>> IntOption(const ParsedArgs& args, const std::string& name);

}  // namespace forkline::cli
