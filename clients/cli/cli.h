#pragma once
// The `forkline` command-line client: one subcommand per command of DESIGN §4, plus
// `watch` (SSE), `output`, and the auditor's tools (audit, replay, export, import, diff,
// backup, restore).
//
// Exit codes: 0 success; 1 the command failed (an error reply, a missing step output, an
// unreadable file); 2 usage error (unknown subcommand or option, bad argument);
// 3 no answer (cannot connect, timeout).

#include <chrono>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "clients/cli/args.h"
#include "clients/lib/command_client.h"
#include "eventstore/status.h"

namespace forkline::cli {

constexpr int kExitOk = 0;
constexpr int kExitCommandError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNoAnswer = 3;

// Everything a subcommand needs: its parsed arguments, the global settings, the streams.
struct CliContext {
  CliContext(ParsedArgs parsed, std::ostream& out_stream, std::ostream& err_stream)
      : args(std::move(parsed)), out(out_stream), err(err_stream) {}

  ParsedArgs args;
  std::ostream& out;
  std::ostream& err;
  client::CommandClientOptions zmq;  // endpoint, token, timeout, CURVE key
  std::string http_host = "127.0.0.1";
  std::string http_port = "7711";
  bool json = false;  // --json: print the raw result
  std::string key;    // --key: idempotency key
  bool timeout_given = false;

  // Prints "forkline: <message>" on err and returns `code`.
  int Fail(int code, const std::string& message) const;
  int Fail(const Status& status, bool transport) const;
  // Sends one command; on success prints the result as JSON (with --json) or with
  // `human`; on failure prints the error. Returns the exit code.
  int Run(const std::string& cmd, boost::json::object args,
          const std::function<void(const boost::json::object&)>& human);
  // Sends one command and returns the result, or prints the error and sets *exit_code.
  std::optional<boost::json::object> Call(const std::string& cmd, boost::json::object args,
                                          int* exit_code);
};

struct Subcommand {
  std::string name;
  std::string usage;    // "RUN [--abort-step]"
  std::string summary;  // one line
  std::vector<OptionSpec> options;
  std::size_t min_positional = 0;
  std::size_t max_positional = 0;
  std::function<int(CliContext&)> run;
};

// The subcommands, by group (run_commands.cc, query_commands.cc, watch_command.cc).
void AddRunCommands(std::vector<Subcommand>& out);
void AddQueryCommands(std::vector<Subcommand>& out);
void AddWatchCommands(std::vector<Subcommand>& out);
// audit_commands.cc: audit, export, import, backup, restore; history_commands.cc: replay, diff.
void AddAuditCommands(std::vector<Subcommand>& out);
void AddHistoryCommands(std::vector<Subcommand>& out);

// Runs the CLI on `args` (without the program name). Reads FORKLINE_* environment
// variables for defaults. Returns the exit code.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace forkline::cli
