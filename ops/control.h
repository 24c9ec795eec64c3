// What the main thread does while the server runs: it waits for signals and
// acts on them as nats-server does. SIGINT/SIGTERM stop gracefully (clients
// get their pending output, routes a FIN); SIGHUP reloads the config;
// SIGUSR1 reopens the log file; SIGUSR2 enters lame-duck mode, then stops.
// Shards never see a signal.
#pragma once

#include <signal.h>

namespace ringnats {
class Server;
}

namespace ringnats::ops {

// The signals run_control takes; block them in every thread before any
// thread starts.
sigset_t control_signals();

// Until a stop signal; argv is what reload parses again.
void run_control(Server& srv, const sigset_t& set, int argc, char** argv);

}  // namespace ringnats::ops
