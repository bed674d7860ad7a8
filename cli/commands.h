// One registration function per `bog` subcommand; each lives in cli/<name>_command.cpp.
// A command parses its flags, does its stage's work, prints human text (or one JSON object
// with --json) and throws bog::Error on failure; main() maps errors to exit codes.
#pragma once

#include <CLI/CLI.hpp>

namespace bog::cli {

void add_doctor_command(CLI::App& app);

}  // namespace bog::cli
