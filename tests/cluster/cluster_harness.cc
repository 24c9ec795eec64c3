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
#include <cctype>
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

std::string Node::log() const {
  std::ifstream f(log_path());
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string Node::log_tail(size_t max_bytes) const {
  std::string s = log();
  if (s.size() > max_bytes) s = "..." + s.substr(s.size() - max_bytes);
  return s;
}

bool Node::wait_log(const std::string& needle, size_t times, int timeout_ms) const {
  return wait_until(
      [&] {
        std::string s = log();
        size_t n = 0;
        for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + needle.size())) ++n;
        return n >= times;
      },
      timeout_ms);
}

bool Node::wait_exit(int timeout_ms, int* status) {
  if (pid_ <= 0) return false;
  int st = 0;
  bool gone = wait_until([&] { return ::waitpid(pid_, &st, WNOHANG) == pid_; }, timeout_ms);
  if (!gone) return false;
  pid_ = -1;
  if (status) *status = st;
  return true;
}

bool Node::start(std::string* err) {
  if (running()) return true;
  std::string bin = bin_for(spec_.kind);
  std::vector<std::string> args = {bin};
  if (!spec_.config_file.empty()) {
    args.insert(args.end(), {"-c", spec_.config_file});
  } else {
    args.insert(args.end(), {"-a", "127.0.0.1", "-p", std::to_string(spec_.client_port), "-n", spec_.name,
                             "--cluster", "nats://127.0.0.1:" + std::to_string(spec_.cluster_port)});
    if (!spec_.cluster_name.empty()) args.insert(args.end(), {"--cluster_name", spec_.cluster_name});
    if (!spec_.route_ports.empty()) {
      std::string routes;
      for (int p : spec_.route_ports) {
        if (!routes.empty()) routes += ",";
        routes += "nats://127.0.0.1:" + std::to_string(p);
      }
      args.insert(args.end(), {"--routes", routes});
    }
  }
  if (spec_.kind == Kind::Ring) args.insert(args.end(), {"--shards", std::to_string(spec_.shards)});
  args.insert(args.end(), spec_.extra_args.begin(), spec_.extra_args.end());
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

// ---------------------------------------------------------------- fake route

std::string fake_route_hello(const FakeRouteSpec& f) {
  const char* hdrs = f.headers ? "true" : "false";
  int port = f.port ? f.port : fresh_port();
  std::string dyn = f.dynamic ? ",\"cluster_dynamic\":true" : "";
  return "CONNECT {\"echo\":true,\"verbose\":false,\"pedantic\":false,\"tls_required\":false,\"headers\":" +
         std::string(hdrs) + ",\"name\":\"" + f.id + "\",\"cluster\":\"" + f.cluster + "\"" + dyn + "}\r\n" +
         "INFO {\"server_id\":\"" + f.id + "\",\"server_name\":\"" + f.name +
         "\",\"version\":\"2.9.10\",\"proto\":2,\"host\":\"127.0.0.1\",\"port\":" + std::to_string(port) +
         ",\"headers\":" + hdrs + ",\"max_payload\":1048576,\"cluster\":\"" + f.cluster + "\"" + dyn + f.info_extra +
         "}\r\n";
}

namespace {

bool starts_with_ci(std::string_view s, std::string_view p) {
  if (s.size() < p.size()) return false;
  for (size_t i = 0; i < p.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(s[i])) != p[i]) return false;
  return true;
}

// The last whitespace-separated token of a control line, as a size.
bool last_size(std::string_view line, size_t& out) {
  size_t e = line.size();
  while (e > 0 && (line[e - 1] == ' ' || line[e - 1] == '\t')) --e;
  size_t b = e;
  while (b > 0 && line[b - 1] != ' ' && line[b - 1] != '\t') --b;
  if (b == e || e - b > 9) return false;
  size_t n = 0;
  for (size_t i = b; i < e; ++i) {
    if (line[i] < '0' || line[i] > '9') return false;
    n = n * 10 + static_cast<size_t>(line[i] - '0');
  }
  out = n;
  return true;
}

bool is_sys_interest(std::string_view frame) {
  return frame.rfind("RS+ $SYS ", 0) == 0 || frame.rfind("RS- $SYS ", 0) == 0;
}

// Count of PING lines in bytes a test sends (any case, CRLF or LF).
int count_pings(std::string_view bytes) {
  int n = 0;
  size_t i = 0;
  while (i < bytes.size()) {
    size_t nl = bytes.find('\n', i);
    std::string_view line = bytes.substr(i, nl == std::string_view::npos ? std::string_view::npos : nl - i);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() == 4 && starts_with_ci(line, "PING")) ++n;
    if (nl == std::string_view::npos) break;
    i = nl + 1;
  }
  return n;
}

std::string json_string_field(const std::string& json, const std::string& key) {
  std::string k = "\"" + key + "\":\"";
  size_t p = json.find(k);
  if (p == std::string::npos) return "";
  p += k.size();
  size_t e = json.find('"', p);
  return e == std::string::npos ? "" : json.substr(p, e - p);
}

}  // namespace

size_t split_route_frames(std::string_view bytes, std::vector<std::string>& frames) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t nl = bytes.find('\n', pos);
    if (nl == std::string_view::npos) break;
    std::string_view line = bytes.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t end = nl + 1;
    if (starts_with_ci(line, "RMSG ") || starts_with_ci(line, "HMSG ") || starts_with_ci(line, "LMSG ")) {
      size_t total = 0;
      if (!last_size(line, total)) {
        frames.emplace_back(bytes.substr(pos));
        return bytes.size();
      }
      if (bytes.size() < end + total + 2) break;
      end += total + 2;
    }
    frames.emplace_back(bytes.substr(pos, end - pos));
    pos = end;
  }
  return pos;
}

std::vector<std::string> route_lines(const std::string& bytes) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < bytes.size()) {
    size_t nl = bytes.find("\r\n", i);
    if (nl == std::string::npos) break;
    std::string l = bytes.substr(i, nl - i);
    i = nl + 2;
    if (is_sys_interest(l) || l == "PING") continue;
    out.push_back(l);
  }
  return out;
}

bool Peer::connect(int port) {
  if (!conn_.connect(port)) return false;
  std::string line;
  if (!conn_.read_until("\r\n", line)) return false;
  info_ = line;
  return line.rfind("INFO ", 0) == 0;
}

std::string Peer::server_id() const { return json_string_field(info_, "server_id"); }

bool Peer::send(std::string_view bytes) {
  pings_ += count_pings(bytes);
  return conn_.send(bytes);
}

void Peer::pump() {
  std::vector<std::string> fs;
  size_t used = kind_ == Kind::Route ? split_route_frames(conn_.buffer(), fs)
                                     : itest::split_frames(conn_.buffer(), fs);
  conn_.buffer().erase(0, used);
  for (auto& f : fs) {
    if (f == "PING\r\n") {
      conn_.send("PONG\r\n");
      continue;
    }
    if (f == "PONG\r\n") {
      ++pongs_;
      if (std::find(own_pings_.begin(), own_pings_.end(), pongs_) != own_pings_.end()) continue;
    }
    if (kind_ == Kind::Route && is_sys_interest(f)) continue;
    if (f.rfind("INFO ", 0) == 0) {
      if (kind_ == Kind::Client) {
        // Own client URL as SELF, then nats' volatile fields masked.
        for (size_t p; !self_.empty() && (p = f.find("\"" + self_ + "\"")) != std::string::npos;)
          f.replace(p + 1, self_.size(), "SELF");
        transcript_ += itest::normalize_info(f);
      } else {
        transcript_ += "INFO {...}\r\n";  // route INFOs differ by design (go, lnoc, ...)
      }
      continue;
    }
    transcript_ += f;
  }
}

template <class Done>
void Peer::read_while_not(Done done, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  pump();
  while (!done()) {
    if (conn_.closed()) return;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out_ = true;
      return;
    }
    conn_.read_some(static_cast<int>(std::min<long>(left.count(), kPollMs * 5)));
    pump();
  }
}

bool Peer::sync(int timeout_ms) {
  if (conn_.closed() || !conn_.is_open()) return false;
  if (!conn_.send("PING\r\n")) {
    // The node may have closed while we were sending: take what it said.
    read_while_not([] { return false; }, 200);
    return false;
  }
  ++pings_;
  own_pings_.push_back(pings_);
  read_while_not([&] { return pongs_ >= pings_; }, timeout_ms);
  return pongs_ >= pings_;
}

void Peer::settle(const std::string& want, int timeout_ms) {
  read_while_not(
      [&] {
        return transcript_.size() >= want.size() || want.compare(0, transcript_.size(), transcript_) != 0;
      },
      timeout_ms);
}

std::string Peer::take() {
  std::string t;
  t.swap(transcript_);
  return t;
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
