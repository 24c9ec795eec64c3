// The signal loop (see control.h). Log texts are nats-server's.
#include "ops/control.h"

#include <signal.h>
#include <unistd.h>

#include <string>

#include "core/log.h"
#include "core/server.h"
#include "ops/lame_duck.h"
#include "ops/reload.h"

namespace ringnats::ops {

namespace {
const char* signal_name(int sig) {
  switch (sig) {
    case SIGINT: return "interrupt";
    case SIGTERM: return "terminated";
    case SIGHUP: return "hangup";
    case SIGUSR1: return "user defined signal 1";
    case SIGUSR2: return "user defined signal 2";
    default: return "unknown";
  }
}
}  // namespace

sigset_t control_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2}) sigaddset(&set, s);
  return set;
}

void run_control(Server& srv, const sigset_t& set, int argc, char** argv) {
  LameDuck ldm(srv);
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGUSR2 && ldm.finished()) break;  // its own "done" wake-up
    log::debug("Trapped \"%s\" signal", signal_name(sig));
    if (sig == SIGINT) break;  // in lame duck too: close what is left now
    // As nats-server 2.9: SIGTERM does not cut a lame duck short.
    if (sig == SIGTERM && !ldm.started()) break;
    if (sig == SIGUSR2) {
      ldm.start([] { ::kill(::getpid(), SIGUSR2); });
      continue;
    }
    if (sig == SIGUSR1) {
      if (srv.opts_snapshot().log_file.empty()) {
        log::notice("File log re-open ignored, not a file logger");
      } else {
        log::reopen();
        log::notice("File log re-opened");
      }
      continue;
    }
    if (sig == SIGHUP) {
      std::string err;
      if (!reload(srv, argc, argv, err)) log::error_text("Failed to reload server configuration: " + err);
    }
  }
  ldm.abort();
  ldm.join();
}

}  // namespace ringnats::ops
