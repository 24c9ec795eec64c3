// --signal (see send_signal.h). Without a pid it looks for exactly one other
// process of this program's name in /proc, as nats-server does with pgrep.
#include "ops/send_signal.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/flags.h"

namespace ringnats::ops {

namespace {

int fail(const std::string& msg) {
  std::fprintf(stderr, "%s: %s\n", kProgramName, msg.c_str());
  return 1;
}

// nats' commands: stop kills, quit interrupts (graceful), term terminates
// (graceful), reopen rotates the log, reload re-reads the config, ldm enters
// lame-duck mode.
int signal_for(const std::string& cmd) {
  if (cmd == "stop") return SIGKILL;
  if (cmd == "quit") return SIGINT;
  if (cmd == "term") return SIGTERM;
  if (cmd == "reopen") return SIGUSR1;
  if (cmd == "reload") return SIGHUP;
  if (cmd == "ldm") return SIGUSR2;
  return 0;
}

std::vector<pid_t> running_servers() {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  pid_t self = getpid();
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (!end || *end || pid <= 0 || pid == self) continue;
    std::ifstream f(std::string("/proc/") + e->d_name + "/comm");
    std::string comm;
    if (std::getline(f, comm) && comm == kProgramName) out.push_back(static_cast<pid_t>(pid));
  }
  closedir(d);
  return out;
}

bool parse_pid(const std::string& s, pid_t& pid) {
  if (s.empty()) return false;
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (*end || v <= 0) return false;
  pid = static_cast<pid_t>(v);
  return true;
}

}  // namespace

int send_signal(const std::string& spec) {
  size_t eq = spec.find('=');
  std::string cmd = spec.substr(0, eq);
  std::string target = eq == std::string::npos ? "" : spec.substr(eq + 1);
  int sig = signal_for(cmd);
  if (!sig) return fail("unknown signal \"" + cmd + "\"");
  pid_t pid = 0;
  if (target.empty()) {
    std::vector<pid_t> pids = running_servers();
    // (Built by appending: GCC 12 warns falsely on chained operator+.)
    std::string msg = pids.empty() ? "no " : "multiple ";
    msg.append(kProgramName).append(" processes running");
    if (pids.empty()) return fail(msg);
    if (pids.size() > 1) {
      msg.append(":");
      for (pid_t p : pids) msg.append("\n").append(std::to_string(p));
      return fail(msg);
    }
    pid = pids[0];
  } else if (!parse_pid(target, pid)) {
    // Not a number: a pid file, whose content must be one (nats reads it
    // verbatim, so a trailing newline makes it invalid there; we trim it).
    std::ifstream f(target);
    if (!f) return fail("invalid pid: " + target);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string content = ss.str();
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r' || content.back() == ' '))
      content.pop_back();
    if (!parse_pid(content, pid)) return fail("invalid pid: " + content);
  }
  if (::kill(pid, sig) != 0) return fail(errno == ESRCH ? "no such process" : std::strerror(errno));
  return 0;
}

}  // namespace ringnats::ops
