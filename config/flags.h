// Command line and config file handling compatible with nats-server 2.9:
// Go-flag syntax, the same flag names, config keys, precedence (flags win)
// and the same messages, streams and exit codes on errors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/options.h"

#ifndef RINGNATS_VERSION
#define RINGNATS_VERSION "0.0.0"
#endif

namespace ringnats {

inline constexpr const char* kProgramName = "ringnats";

// What a NATS Streaming set-up (its flags, or a `streaming` block) is told.
inline constexpr std::string_view kStreamingAdvice =
    "NATS Streaming (STAN) is not part of ringnats, nor of nats-server 2.9: its successor is JetStream. "
    "Enable it with -js -sd <dir> (config: jetstream { store_dir: <dir> }) and use streams and consumers "
    "in place of channels and subscriptions; a clustered file store (-clustered, cluster_peers) becomes a "
    "cluster of JetStream servers, each with its own server_name.";

enum class CliAction {
  Run,           // start the server with the filled Options
  Help,          // usage requested (or a bad flag: then err holds the reason)
  Version,       // "ringnats: v<version>"
  TestConfigOk,  // -t and the config file is valid
  Error,         // exit 1 after printing err
  Signal,        // --signal: send it to a running server (ops/send_signal.h)
};

// Everything main needs to behave like nats-server. Print err to stderr
// first, then out to stdout (finish_cli does exactly that).
struct CliResult {
  CliAction action = CliAction::Run;
  int exit_code = 0;       // 0, or 1 for Error
  std::string out;         // stdout: usage text, version line
  std::string err;         // stderr: error line(s); for Run, config warnings
  // nats options that were accepted but that ringnats does not implement and
  // safely ignores (e.g. "jetstream", "--js"); main logs a warning for each.
  // Options it does not implement and may not ignore make parse_cli fail.
  std::vector<std::string> ignored;
  std::string signal;      // for Signal: "<command>[=<pid or pid file>]"
};

// Parses flags, then the config file (-c), then applies the flags again so
// they override it, then fills defaults and validates (validation only when
// the server would run, as nats does). `out` is replaced entirely.
CliResult parse_cli(int argc, char** argv, Options& out);

// Writes r.err to stderr and r.out to stdout. Returns -1 when the server
// should start, else the process exit code.
int finish_cli(const CliResult& r);

// Short form used by main: `message` is the text to print (stdout for Help
// and Version, stderr for TestConfigOk, Error and Run warnings). The caller
// exits 0 for Help/Version/TestConfigOk and 1 for Error.
CliAction parse_command_line(int argc, char** argv, Options& out, std::string& message);

// The usage text, as printed by -h (starts and ends with a blank line);
// config/usage.cc.
const std::string& usage_text();

}  // namespace ringnats
