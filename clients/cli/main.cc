// forkline: the command-line client (see clients/cli/cli.h for subcommands and exit codes).

#include <iostream>
#include <string>
#include <vector>

#include "clients/cli/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return forkline::cli::RunCli(args, std::cout, std::cerr);
}
