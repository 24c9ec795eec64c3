// `ringnats --signal <command>[=<pid or pid file>]`: the client side of the
// signals a running server handles (ops/control.h), with nats-server's
// commands, messages and exit codes.
#pragma once

#include <string>

namespace ringnats::ops {

// Sends the signal for `spec` ("reload", "stop=1234", "ldm=/run/r.pid").
// Returns the process exit code; errors are printed to stderr.
int send_signal(const std::string& spec);

}  // namespace ringnats::ops
