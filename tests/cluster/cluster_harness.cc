// Cluster test harness: node processes on fixed ports, bounded polling and
// INFO connect_urls tracking. Waiting is always on a condition with a bound;
// the only pauses are the poll interval of those loops.
#include "cluster_harness.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace cltest {
namespace {

using Clock = std::chrono::steady_clock;

// Removes the run directory at exit when every test passed.
class RunDirCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    const auto* ut = ::testing::UnitTest::GetInstance();
    if (ut->Passed() && !std::getenv("CLTEST_KEEP")) {
      std::string cmd = "rm -rf '" + run_dir() + "'";
      [[maybe_unused]] int rc = std::system(cmd.c_str());
    } else {
      std::fprintf(stderr, "cluster test logs kept in %s\n", run_dir().c_str());
    }
  }
};

[[maybe_unused]] auto* g_cleanup = ::testing::AddGlobalTestEnvironment(new RunDirCleanup);

}  // namespace

const char* kind_name(Kind k) { return k == Kind::Ring ? "ringnats" : "stock"; }

std::string bin_for(Kind k) { return k == Kind::Ring ? itest::ringnats_bin() : itest::stock_bin(); }

const std::string& run_dir() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/cltest-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    return std::string(d ? d : "/tmp");
  }();
  return dir;
}

bool port_listening(int port) {
  std::ifstream f("/proc/net/tcp");
  std::string line;
  char want[16];
  std::snprintf(want, sizeof want, ":%04X", port);
  std::getline(f, line);  // header
  while (std::getline(f, line)) {
    std::istringstream in(line);
    std::string slot, local, remote, state;
    in >> slot >> local >> remote >> state;
    if (state == "0A" && local.size() > 5 && local.compare(local.size() - 5, 5, want) == 0) return true;
  }
  return false;
}

int fresh_port() {
  static std::set<int> used;
  for (int i = 0; i < 50; ++i) {
    int p = itest::free_port();
    if (p > 0 && used.insert(p).second) return p;
  }
  return 0;
}

bool wait_until(const std::function<bool()>& pred, int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (pred()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  }
}

// ---------------------------------------------------------------- Node

Node::~Node() { stop(); }

std::string Node::url() const { return "nats://127.0.0.1:" + std::to_string(spec_.client_port); }
std::string Node::client_hp() const { return "127.0.0.1:" + std::to_string(spec_.client_port); }

std::string Node::log_path() const {
  return run_dir() + "/" + spec_.name + "-" + std::to_string(spec_.client_port) + ".log";
}

std::string Node::log_tail(size_t max_bytes) const {
  std::ifstream f(log_path());
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  if (s.size() > max_bytes) s = "..." + s.substr(s.size() - max_bytes);
  return s;
}

bool Node::start(std::string* err) {
  if (running()) return true;
  std::string bin = bin_for(spec_.kind);
  std::vector<std::string> args = {bin};
  if (!spec_.config_file.empty()) {
    args.insert(args.end(), {"-c", spec_.config_file});
  } else {
    args.insert(args.end(), {"-a", "127.0.0.1", "-p", std::to_string(spec_.client_port), "-n", spec_.name,
                             "--cluster", "nats://127.0.0.1:" + std::to_string(spec_.cluster_port),
                             "--cluster_name", spec_.cluster_name});
    if (!spec_.route_ports.empty()) {
      std::string routes;
      for (int p : spec_.route_ports) {
        if (!routes.empty()) routes += ",";
        routes += "nats://127.0.0.1:" + std::to_string(p);
      }
      args.insert(args.end(), {"--routes", routes});
    }
  }
  if (spec_.kind == Kind::Ring) args.insert(args.end(), {"--shards", "2"});
  args.push_back("-D");

  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string log = log_path();
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    if (err) *err = "fork failed";
    return false;
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      std::string banner = "==== start #" + std::to_string(generation_ + 1) + ":";
      for (auto& a : args) banner += " " + a;
      banner += "\n";
      [[maybe_unused]] ssize_t w = ::write(fd, banner.data(), banner.size());
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  pid_ = pid;
  ++generation_;
  bool exited = false;
  bool up = wait_until([&] {
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      exited = true;
      pid_ = -1;
      return true;
    }
    return port_listening(spec_.client_port) && port_listening(spec_.cluster_port);
  });
  if (up && !exited) return true;
  if (err) {
    *err = spec_.name + " (" + kind_name(spec_.kind) + ") " +
           (exited ? "exited during start" : "did not listen on both ports within bound") + "; log:\n" +
           log_tail();
  }
  stop();
  return false;
}

void Node::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
}

void Node::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  bool gone = wait_until(
      [&] {
        int st = 0;
        pid_t r = ::waitpid(pid_, &st, WNOHANG);
        return r == pid_ || r < 0;
      },
      3000);
  if (!gone) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
  pid_ = -1;
}

// ---------------------------------------------------------------- Trio

bool Trio::start(const std::vector<Kind>& kinds, std::string* err) {
  static const char* names[] = {"A", "B", "C"};
  nodes.clear();
  for (size_t i = 0; i < kinds.size(); ++i) {
    NodeSpec s;
    s.kind = kinds[i];
    s.name = names[i % 3];
    s.client_port = fresh_port();
    s.cluster_port = fresh_port();
    if (i > 0) s.route_ports = {nodes[0]->spec().cluster_port};
    nodes.push_back(std::make_unique<Node>(s));
  }
  for (auto& n : nodes)
    if (!n->start(err)) return false;
  return true;
}

std::string Trio::logs() const {
  std::string out;
  for (auto& n : nodes) out += "---- " + n->spec().name + " (" + kind_name(n->spec().kind) + ") " +
                               n->log_path() + "\n" + n->log_tail(2500) + "\n";
  return out;
}

bool Trio::wait_mesh(std::string* why) {
  std::vector<std::string> want;
  for (auto& n : nodes)
    if (n->running()) want.push_back(n->client_hp());
  for (auto& n : nodes) {
    if (!n->running()) continue;
    InfoWatcher w;
    if (!w.connect(n->port())) {
      if (why) *why = n->spec().name + ": client connect failed";
      return false;
    }
    if (!w.wait_urls(want)) {
      if (why) {
        // A fresh client tells a stale server list from a missed async INFO.
        InfoWatcher fresh;
        fresh.connect(n->port());
        *why = n->spec().name + " connect_urls " + join(info_connect_urls(w.latest_info())) + ", want " +
               join(want) + " (a new client's INFO lists " + join(info_connect_urls(fresh.latest_info())) + ")";
      }
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------- INFO

std::vector<std::string> info_connect_urls(const std::string& info) {
  std::vector<std::string> out;
  size_t k = info.find("\"connect_urls\":[");
  if (k == std::string::npos) return out;
  size_t i = k + 16;
  size_t end = info.find(']', i);
  if (end == std::string::npos) return out;
  while (i < end) {
    size_t q1 = info.find('"', i);
    if (q1 == std::string::npos || q1 >= end) break;
    size_t q2 = info.find('"', q1 + 1);
    if (q2 == std::string::npos || q2 > end) break;
    out.push_back(info.substr(q1 + 1, q2 - q1 - 1));
    i = q2 + 1;
  }
  return out;
}

bool InfoWatcher::connect(int port) {
  if (!c_.connect(port)) return false;
  if (!c_.send("CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":1}\r\nPING\r\n")) return false;
  std::string got;
  if (!c_.read_until("PONG\r\n", got)) return false;
  std::vector<std::string> frames;
  itest::split_frames(got, frames);
  for (auto& f : frames)
    if (f.rfind("INFO ", 0) == 0) latest_ = f;
  return !latest_.empty();
}

void InfoWatcher::pump(int timeout_ms) {
  // Bytes may already wait in the buffer (an INFO right behind the first PONG).
  c_.read_some(timeout_ms);
  std::vector<std::string> frames;
  size_t used = itest::split_frames(c_.buffer(), frames);
  c_.buffer().erase(0, used);
  for (auto& f : frames) {
    if (f.rfind("INFO ", 0) == 0) latest_ = f;
    if (f == "PING\r\n") c_.send("PONG\r\n");
  }
}

bool InfoWatcher::wait_urls(const std::vector<std::string>& want, int timeout_ms) {
  auto w = sorted(want);
  return wait_until(
      [&] {
        pump(0);
        return sorted(info_connect_urls(latest_)) == w;
      },
      timeout_ms);
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::string join(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + v[i];
  return s + "]";
}

}  // namespace cltest
