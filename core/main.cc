// ringnats entry point: parse nats-server-compatible flags and config, start
// the shards, log like nats-server, and shut down cleanly on SIGINT/SIGTERM.
#if defined(__has_feature)  // clang spells sanitizers this way
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define RINGNATS_NO_MIMALLOC 1
#endif
#endif
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) && !defined(RINGNATS_NO_MIMALLOC)
#include <mimalloc-new-delete.h>  // mimalloc for every new/delete (not under sanitizers)
#endif

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "config/flags.h"
#include "config/options.h"
#include "core/go_text.h"
#include "core/log.h"
#include "auth/password.h"
#include "core/server.h"
#include "ops/control.h"
#include "ops/send_signal.h"

using namespace ringnats;

namespace ringnats::cluster {
// Starts the cluster layer when the options ask for it (cluster/).
bool start_cluster(Server& srv, std::string& err);
void stop_cluster(Server& srv);
}  // namespace ringnats::cluster
namespace ringnats::js {
// Starts JetStream when the options ask for it (jetstream/).
bool start_jetstream(Server& srv, std::string& err);
void stop_jetstream(Server& srv);
std::string node_id(std::string_view server_name);
}  // namespace ringnats::js
namespace ringnats::monitor {
// Starts the HTTP monitor when the options ask for it (monitor/).
bool start_monitor(Server& srv, std::string& err);
bool stop_monitor(Server& srv);  // false: leave with _exit (workers still run)
}  // namespace ringnats::monitor

int main(int argc, char** argv) {
  Options opts;
  CliResult cli = parse_cli(argc, argv, opts);
  if (cli.action == CliAction::Signal) return ops::send_signal(cli.signal);
  if (int code = finish_cli(cli); code >= 0) return code;
  if (const std::string& sys = opts.security.system_account; !sys.empty() && sys != "$SYS") {
    bool found = false;
    for (const AccountOptions& a : opts.security.accounts) found = found || a.name == sys;
    if (!found) {
      std::fprintf(stderr, "%s: error resolving system account: account missing\n", kProgramName);
      return 1;
    }
  }

  // As nats-server: a JetStream server in a cluster needs a name (and a
  // cluster name) that its peers can tell apart.
  if (opts.jetstream.enabled && opts.cluster.enabled && opts.cluster.port != 0) {
    const char* missing = opts.server_name.empty() ? "`server_name`" : opts.cluster.name.empty() ? "`cluster.name`" : nullptr;
    if (missing) {
      std::fprintf(stderr, "%s: jetstream cluster requires %s to be set\n", kProgramName, missing);
      return 1;
    }
  }
  // Signals are taken synchronously by this thread; shards never see them.
  sigset_t set = ops::control_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::string log_err;
  if (!log::init(opts, &log_err)) {
    std::fprintf(stderr, "%s\n", log_err.c_str());
    return 1;
  }
  for (const auto& what : cli.ignored) log::warn("Option %s is not supported by ringnats, ignored", what.c_str());
  Server srv(opts);
  log::notice("Starting ringnats");
  log::notice("  Version:  %s (nats-server %s compatible)", RINGNATS_VERSION, Server::kCompatVersion);
  log::notice("  Name:     %s", srv.server_name().c_str());
  if (opts.jetstream.enabled) log::notice("  Node:     %s", js::node_id(srv.server_name()).c_str());
  log::notice("  ID:       %s", srv.server_id().c_str());
  {
    // As nats' checkAuthforWarnings.
    bool plain = !opts.password.empty() && !auth::is_bcrypt(opts.password);
    for (const User& u : opts.security.users)
      if (u.nkey.empty() && !auth::is_bcrypt(u.password)) plain = true;
    if (plain) log::warn("Plaintext passwords detected, use nkeys or bcrypt");
  }
  if (!opts.config_file.empty()) log::notice("Using configuration file: %s", opts.config_file.c_str());
  std::string err;
  if (!srv.start(err)) {
    log::fatal("Error listening on port: %s, \"%s\"", go_join_host_port(opts.host, opts.port).c_str(), err.c_str());
    return 1;
  }
  log::notice("  Shards:   %d (io_uring, one per CPU, one on a machine of two)", srv.nshards());
  if (!js::start_jetstream(srv, err)) {
    log::fatal("Can't start JetStream: %s", err.c_str());
    srv.shutdown();
    srv.wait();
    return 1;
  }
  if (!monitor::start_monitor(srv, err)) {
    log::fatal("Can't start monitoring: %s", err.c_str());
    srv.shutdown();
    srv.wait();
    return 1;
  }
  log::notice("Listening for client connections on %s", go_join_host_port(opts.host, srv.client_port()).c_str());
  if (opts.security.tls.enabled) log::notice("TLS required for client connections");
  if (opts.security.tls.enabled || opts.security.cluster_tls.enabled) {
    std::string why;
    if (tls::kernel_tls_available(why))
      log::debug("TLS: the kernel offers kTLS; TLS 1.3 sessions are handed to it after the handshake");
    else
      log::debug("TLS: no kTLS in this kernel (%s; is the tls module loaded?); ringnats encrypts in user space "
                 "(OpenSSL, memory BIOs)",
                 why.c_str());
  }
  if (opts.cluster.enabled || !opts.cluster.routes.empty()) {
    if (!cluster::start_cluster(srv, err)) {
      log::fatal("%s", err.c_str());
      srv.shutdown();
      srv.wait();
      return 1;
    }
  }
  if (!opts.pid_file.empty()) {
    std::ofstream f(opts.pid_file);
    f << getpid();
  }
  // Clients last, as nats-server: JetStream's subscriptions and the routes
  // are in place when the first one is read.
  srv.begin_accepting();
  log::notice("Server is ready");

  ops::run_control(srv, set, argc, argv);
  log::notice("Initiating Shutdown...");
  srv.shutdown();
  bool monitor_stopped = monitor::stop_monitor(srv);
  cluster::stop_cluster(srv);
  srv.wait();
  js::stop_jetstream(srv);
  if (!opts.pid_file.empty()) unlink(opts.pid_file.c_str());
  log::notice("Server Exiting..");
  // HTTP workers still held by slow clients may be reading library statics
  // that a normal exit would destroy under them: leave without destructors.
  if (!monitor_stopped) _exit(0);
  return 0;
}
