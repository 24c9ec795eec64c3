// Integration-test harness: server child processes, raw loopback sockets and
// the step runner used by the differential tests. Every wait is bounded and
// ends on bytes arriving or the peer closing, never on a sleep.
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <utility>

namespace itest {
namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

bool ieq_prefix(std::string_view s, std::string_view word) {
  if (s.size() < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    char a = s[i];
    if (a >= 'a' && a <= 'z') a = static_cast<char>(a - 32);
    if (a != word[i]) return false;
  }
  return true;
}

// Whitespace-separated arguments of a control line (after the op name).
std::vector<std::string_view> split_args(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

bool parse_size(std::string_view s, size_t& n) {
  if (s.empty() || s.size() > 9) return false;
  n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  return true;
}

// Counts PING lines the client sends in these bytes (each gets one PONG).
int count_client_pings(const std::vector<std::string>& chunks) {
  std::string all;
  for (const auto& c : chunks) all += c;
  int n = 0;
  size_t start = 0;
  while (start < all.size()) {
    size_t nl = all.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view line(all.data() + start, nl - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    if (line.size() == 4 && ieq_prefix(line, "PING")) ++n;
    start = nl + 1;
  }
  return n;
}

}  // namespace

// ---------------------------------------------------------------- binaries

std::string server_sanitizer() {
  if (const char* e = std::getenv("RINGNATS_SANITIZER"); e && *e) return e;
#if defined(__SANITIZE_THREAD__)
  return "thread";
#elif defined(__SANITIZE_ADDRESS__)
  return "address";
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
  return "thread";
#elif __has_feature(address_sanitizer)
  return "address";
#endif
#endif
  return {};
}

std::string ringnats_bin() {
  if (const char* e = std::getenv("RINGNATS_BIN"); e && *e) return e;
#ifdef RINGNATS_BIN
  return RINGNATS_BIN;
#else
  return "ringnats";
#endif
}

std::string stock_bin() {
  if (const char* e = std::getenv("NATS_SERVER_BIN"); e && *e) return e;
  return "/usr/sbin/nats-server";
}

bool is_ringnats(const std::string& bin) {
  size_t slash = bin.rfind('/');
  std::string base = slash == std::string::npos ? bin : bin.substr(slash + 1);
  return base == "ringnats";
}

// Below the kernel's ephemeral range (ip_local_port_range, 32768+ here): a
// port picked from that range can be taken by any outgoing connection (a
// route dial, a test client) before the server binds it.
// ITEST_PORT_RANGE=<lo>-<hi> picks from [lo, hi) instead (to keep clear of
// another run's ports on the same machine; inside the ephemeral range the
// bind check below is all that guards against an outgoing connection).
int free_port() {
  static unsigned seed = static_cast<unsigned>(::getpid()) * 2654435761u;
  static const std::pair<int, int> range = [] {
    int lo = 0, hi = 0;
    const char* e = std::getenv("ITEST_PORT_RANGE");
    if (e && std::sscanf(e, "%d-%d", &lo, &hi) == 2 && lo > 1024 && hi <= 65536 && hi - lo >= 100)
      return std::make_pair(lo, hi - lo);
    return std::make_pair(20000, 12000);
  }();
  for (int attempt = 0; attempt < 200; ++attempt) {
    seed = seed * 1103515245u + 12345u;
    int port = range.first + static_cast<int>((seed >> 8) % static_cast<unsigned>(range.second));
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return port;
  }
  return 0;
}

// ---------------------------------------------------------------- ServerProcess

ServerProcess::~ServerProcess() { stop(); }

bool ServerProcess::start(const std::string& bin, int shards, const std::vector<std::string>& extra,
                          std::string* err) {
  stop();
  std::string why;
  // A port found free may be taken before the child binds it: retry a few.
  for (int attempt = 0; attempt < (pinned_port_ ? 1 : 3); ++attempt) {
    int port = pinned_port_ ? pinned_port_ : free_port();
    if (port == 0) {
      why = "no free port";
      continue;
    }
    std::vector<std::string> args = {bin};
    if (listen_flags_) args.insert(args.end(), {"-a", "127.0.0.1", "-p", std::to_string(port)});
    const int n = shards == 0 ? kTestShards : shards;
    if (n > 0 && is_ringnats(bin) && std::find(extra.begin(), extra.end(), "--shards") == extra.end()) {
      args.push_back("--shards");
      args.push_back(std::to_string(n));
    }
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    std::string log_path = "/dev/null";
    if (const char* d = std::getenv("ITEST_LOG_DIR"); d && *d)
      log_path = std::string(d) + "/server-" + std::to_string(port) + ".log";

    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) {
      why = std::string("fork: ") + std::strerror(errno);
      continue;
    }
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    pid_ = pid;
    port_ = port;

    auto deadline = Clock::now() + std::chrono::milliseconds(kTimeoutMs);
    bool exited = false;
    while (Clock::now() < deadline) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        exited = true;
        pid_ = -1;
        why = "server exited during start (status " + std::to_string(st) + ")";
        break;
      }
      // Ready means an INFO line: right after a kill -9 the dead process's
      // listener can still complete a handshake, then resets it.
      RawConn probe;
      std::string info;
      if (probe.connect(port_, 100) && probe.read_line(info, kTimeoutMs) && info.rfind("INFO ", 0) == 0) return true;
      // Bounded poll while the child starts up; not a protocol wait.
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!exited) {
      why = "server did not accept on port " + std::to_string(port_) + " within 5s";
      stop();
      break;
    }
  }
  if (err) *err = why;
  return false;
}

bool connect_quiet(RawConn& c, int port, const std::string& after) {
  if (!c.connect(port)) return false;
  std::string line, out;
  if (!c.read_line(line)) return false;  // INFO
  return c.send("CONNECT {\"verbose\":false,\"pedantic\":false}\r\n" + after) && c.ping_pong(out);
}

bool connect_stalled_reader(RawConn& c, int port, const std::string& subject) {
  if (!c.connect(port)) return false;
  int small = 4096;
  ::setsockopt(c.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  std::string line, out;
  if (!c.read_line(line)) return false;
  return c.send("CONNECT {\"verbose\":false,\"pedantic\":false}\r\nSUB " + subject + " 1\r\n") &&
         c.ping_pong(out);
}

TempConfig::TempConfig(const std::string& body) {
  static int n = 0;
  path_ = "/tmp/ringnats-test-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + ".conf";
  FILE* f = std::fopen(path_.c_str(), "w");
  if (f) {
    std::fputs(body.c_str(), f);
    std::fclose(f);
  }
}

TempConfig::~TempConfig() { std::remove(path_.c_str()); }

TestCerts::TestCerts() {
  char tmpl[] = "/tmp/ringnats-certs-XXXXXX";
  if (!::mkdtemp(tmpl)) return;
  dir_ = tmpl;
  // EC P-256 keys: quick to make, and every client library takes them.
  std::string script = "set -e; cd '" + dir_ + "'\n";
  script.append(
      "k() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $1 2>/dev/null; }\n"
      "ca() { k $1-key.pem; openssl req -x509 -new -key $1-key.pem -out $1.pem -days 3650 -subj \"/CN=$1\" "
      "2>/dev/null; }\n"
      "leaf() { k $1-key.pem; openssl req -new -key $1-key.pem -out $1.csr -subj \"/CN=$1\" 2>/dev/null;\n"
      "  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nextendedKeyUsage=serverAuth,clientAuth\\n' > $1.ext;\n"
      "  openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2-key.pem -CAcreateserial -out $1.pem -days 3650 "
      "-extfile $1.ext 2>/dev/null; }\n"
      "ca ca; ca other-ca; leaf server ca; leaf client ca; leaf other-client other-ca\n");
  std::string path = dir_ + "/gen.sh";
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return;
  std::fputs(script.c_str(), f);
  std::fclose(f);
  std::string cmd = "sh '" + path + "' >/dev/null 2>&1";
  ok_ = std::system(cmd.c_str()) == 0;
}

bool TestCerts::make_client(const std::string& name, const std::string& subj, const std::string& san) {
  std::string script = "set -e; cd '" + dir_ + "'\n";
  script += "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out '" + name + "-key.pem'\n";
  script += "openssl req -new -multivalue-rdn -key '" + name + "-key.pem' -out '" + name + ".csr' -subj '" + subj + "'\n";
  script += "printf 'extendedKeyUsage=serverAuth,clientAuth\\n' > '" + name + ".ext'\n";
  if (!san.empty()) script += "printf 'subjectAltName=" + san + "\\n' >> '" + name + ".ext'\n";
  script += "openssl x509 -req -in '" + name + ".csr' -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out '" + name +
            ".pem' -days 3650 -extfile '" + name + ".ext'\n";
  std::string path = dir_ + "/gen-" + name + ".sh";
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  std::fputs(script.c_str(), f);
  std::fclose(f);
  std::string cmd = "sh '" + path + "' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

TestCerts::~TestCerts() {
  if (dir_.empty()) return;
  std::string cmd = "rm -rf '" + dir_ + "'";
  [[maybe_unused]] int rc = std::system(cmd.c_str());
}

struct Flooder::State {
  std::atomic<bool> stop{false};
  std::atomic<size_t> sent{0};
  std::thread thread;
};

Flooder::Flooder(RawConn& pub, const std::string& subject) : st_(new State) {
  int fd = pub.fd();
  std::string m;
  for (int i = 0; i < 64; ++i) m += "PUB " + subject + " 1000\r\n" + std::string(1000, 'x') + "\r\n";
  st_->thread = std::thread([st = st_, fd, m] {
    size_t off = 0;
    while (!st->stop.load()) {
      ssize_t n = ::send(fd, m.data() + off, m.size() - off, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) {
        std::this_thread::yield();
        continue;
      }
      off = (off + static_cast<size_t>(n)) % m.size();
      st->sent += static_cast<size_t>(n);
    }
  });
}

Flooder::~Flooder() {
  st_->stop = true;
  st_->thread.join();
  delete st_;
}

void Flooder::wait_for_bytes(size_t n, int timeout_ms) {
  for (int i = 0; i < timeout_ms && st_->sent.load() < n; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // bounded poll on the flood
}

long ServerProcess::status_kib(const char* field) const {
  if (pid_ <= 0) return -1;
  FILE* f = std::fopen(("/proc/" + std::to_string(pid_) + "/status").c_str(), "r");
  if (!f) return -1;
  char line[256];
  long kib = -1;
  std::string fmt = std::string(field) + ": %ld kB";
  while (std::fgets(line, sizeof(line), f))
    if (std::sscanf(line, fmt.c_str(), &kib) == 1) break;
  std::fclose(f);
  return kib;
}

bool ServerProcess::wait_exit(int timeout_ms, int* status) {
  if (pid_ <= 0) return false;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      if (status) *status = st;
      return true;
    }
    if (r < 0 || Clock::now() >= deadline) return false;
    // Bounded poll for the child's exit.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void ServerProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  auto deadline = Clock::now() + std::chrono::milliseconds(3000);
  while (Clock::now() < deadline) {
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_ || r < 0) {
      pid_ = -1;
      return;
    }
    // Bounded poll for the child's exit after SIGTERM.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid_, SIGKILL);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
}

// ---------------------------------------------------------------- RawConn

RawConn::~RawConn() { close(); }

RawConn::RawConn(RawConn&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), peer_closed_(o.peer_closed_), buf_(std::move(o.buf_)) {}

RawConn& RawConn::operator=(RawConn&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::exchange(o.fd_, -1);
    peer_closed_ = o.peer_closed_;
    buf_ = std::move(o.buf_);
  }
  return *this;
}

bool RawConn::connect(int port, int timeout_ms, int rcvbuf) {
  close();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) return false;
  if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  int r = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  if (r != 0 && errno != EINPROGRESS) {
    close();
    return false;
  }
  if (r != 0) {
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, timeout_ms) != 1) {
      close();
      return false;
    }
    int soerr = 0;
    socklen_t len = sizeof soerr;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &soerr, &len);
    if (soerr != 0) {
      close();
      return false;
    }
  }
  int fl = ::fcntl(fd_, F_GETFL);
  ::fcntl(fd_, F_SETFL, fl & ~O_NONBLOCK);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{kTimeoutMs / 1000, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  peer_closed_ = false;
  buf_.clear();
  return true;
}

void RawConn::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool RawConn::send(std::string_view bytes) {
  if (fd_ < 0) return false;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

long RawConn::read_some(int timeout_ms) {
  if (fd_ < 0 || peer_closed_) return 0;
  pollfd p{fd_, POLLIN, 0};
  int pr;
  do {
    pr = ::poll(&p, 1, timeout_ms);
  } while (pr < 0 && errno == EINTR);
  if (pr == 0) return -1;
  char tmp[65536];
  ssize_t n;
  do {
    n = ::recv(fd_, tmp, sizeof tmp, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return -1;
  if (n <= 0) {
    peer_closed_ = true;
    return 0;
  }
  buf_.append(tmp, static_cast<size_t>(n));
  return n;
}

bool RawConn::read_until(std::string_view marker, std::string& out, int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    size_t pos = buf_.find(marker);
    if (pos != std::string::npos) {
      out = buf_.substr(0, pos + marker.size());
      buf_.erase(0, pos + marker.size());
      return true;
    }
    if (peer_closed_) return false;
    int left = ms_left(deadline);
    if (left == 0) return false;
    if (read_some(left) < 0 && ms_left(deadline) == 0) return false;
  }
}

bool RawConn::read_line(std::string& line, int timeout_ms) {
  if (!read_until("\n", line, timeout_ms)) return false;
  line.pop_back();
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

bool RawConn::ping_pong(std::string& out, int timeout_ms) {
  if (!send("PING\r\n")) return false;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  out.clear();
  for (;;) {
    std::vector<std::string> frames;
    size_t used = split_frames(buf_, frames);
    size_t off = 0;
    for (auto& f : frames) {
      off += f.size();
      if (f == "PONG\r\n") {
        out = buf_.substr(0, off);
        buf_.erase(0, off);
        return true;
      }
    }
    (void)used;
    if (peer_closed_) return false;
    int left = ms_left(deadline);
    if (left == 0) return false;
    read_some(left);
  }
}

bool RawConn::expect_closed(int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!peer_closed_) {
    int left = ms_left(deadline);
    if (left == 0) return false;
    read_some(left);
    buf_.clear();
  }
  return true;
}

// ---------------------------------------------------------------- frames

size_t split_frames(std::string_view bytes, std::vector<std::string>& frames) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t nl = bytes.find('\n', pos);
    if (nl == std::string_view::npos) break;
    std::string_view line = bytes.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t end = nl + 1;
    bool is_msg = ieq_prefix(line, "MSG ") || ieq_prefix(line, "HMSG ");
    if (is_msg) {
      auto args = split_args(line);
      size_t total = 0;
      if (args.size() < 4 || !parse_size(args.back(), total)) {
        // Not a frame we understand: keep the rest verbatim.
        frames.emplace_back(bytes.substr(pos));
        return bytes.size();
      }
      if (bytes.size() < end + total + 2) break;  // payload not complete yet
      end += total + 2;
    }
    frames.emplace_back(bytes.substr(pos, end - pos));
    pos = end;
  }
  return pos;
}

namespace {

// Scans one JSON value starting at i; returns the index just past it.
size_t skip_json_value(std::string_view s, size_t i) {
  if (i >= s.size()) return i;
  if (s[i] == '"') {
    ++i;
    while (i < s.size() && s[i] != '"') i += (s[i] == '\\') ? 2 : 1;
    return std::min(s.size(), i + 1);
  }
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    while (i < s.size()) {
      char c = s[i];
      if (c == '"') {
        i = skip_json_value(s, i);
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return i;
  }
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ' ') ++i;
  return i;
}

bool masked_key(std::string_view k) {
  static constexpr std::string_view kMasked[] = {"server_id", "server_name", "version", "go",
                                                 "host",      "port",        "client_id", "nonce"};
  return std::find(std::begin(kMasked), std::end(kMasked), k) != std::end(kMasked);
}

}  // namespace

std::string normalize_info(std::string_view frame) {
  size_t lb = frame.find('{');
  if (lb == std::string_view::npos) return std::string(frame);
  std::string_view s = frame;
  std::vector<std::pair<std::string, std::string>> kv;
  size_t i = lb + 1;
  size_t end = std::string_view::npos;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == ',' || s[i] == '\t')) ++i;
    if (i >= s.size()) break;
    if (s[i] == '}') {
      end = i + 1;
      break;
    }
    if (s[i] != '"') return "INFO <unparsable> " + std::string(frame);
    size_t kend = skip_json_value(s, i);
    std::string key(s.substr(i + 1, kend - i - 2));
    i = kend;
    while (i < s.size() && (s[i] == ' ' || s[i] == ':')) ++i;
    size_t vend = skip_json_value(s, i);
    std::string val(s.substr(i, vend - i));
    i = vend;
    kv.emplace_back(key, masked_key(key) ? std::string("*") : val);
  }
  if (end == std::string_view::npos) return "INFO <unterminated> " + std::string(frame);
  std::sort(kv.begin(), kv.end());
  std::string out(frame.substr(0, lb));
  out += '{';
  for (size_t k = 0; k < kv.size(); ++k) {
    if (k) out += ',';
    out += '"' + kv[k].first + "\":" + kv[k].second;
  }
  out += '}';
  out += frame.substr(end);
  return out;
}

std::string render_frames(const std::vector<std::string>& frames) {
  std::string out;
  for (const auto& f : frames) {
    if (f == "PING\r\n") continue;
    if (ieq_prefix(f, "INFO ")) out += normalize_info(f);
    else out += f;
  }
  return out;
}

std::string run_shell(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

std::string escape(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\\') out += "\\\\";
    else if (c < 0x20 || c >= 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    } else out += static_cast<char>(c);
  }
  return out;
}

std::vector<std::string> bytewise(std::string_view bytes) {
  std::vector<std::string> out;
  for (char c : bytes) out.emplace_back(1, c);
  return out;
}

// ---------------------------------------------------------------- conversations

namespace {

// Per-connection state of a running conversation. Our own sync PINGs are
// answered in order, so the PONG that brings `pongs` up to a sync PING's
// number is that PING's answer and is left out of the transcript.
struct Session {
  RawConn conn;
  ConnResult res;
  bool got_info = false;
  int pings = 0;                 // PINGs sent so far (case bytes + harness)
  int pongs = 0;                 // PONG frames received so far
  std::vector<int> own_pings;    // numbers of the PINGs the harness sent
  std::vector<std::string> frames;

  void pump() {
    std::vector<std::string> fs;
    size_t used = split_frames(conn.buffer(), fs);
    conn.buffer().erase(0, used);
    for (auto& f : fs) {
      if (!got_info) {
        got_info = true;
        if (ieq_prefix(f, "INFO ")) {
          res.info = normalize_info(f);
          continue;
        }
        res.info = "<no INFO first>";
      }
      if (f == "PONG\r\n") {
        ++pongs;
        if (std::find(own_pings.begin(), own_pings.end(), pongs) != own_pings.end()) continue;
      }
      frames.push_back(std::move(f));
    }
  }
  std::string rendered() const { return render_frames(frames); }

  // Reads until `done()` holds, the peer closes, or the deadline passes.
  template <class Done>
  void read_while_not(Done done, Clock::time_point deadline) {
    pump();
    while (!done()) {
      if (conn.closed()) {
        res.closed = true;
        return;
      }
      int left = ms_left(deadline);
      if (left == 0) {
        res.timed_out = true;
        return;
      }
      conn.read_some(left);
      pump();
    }
  }

  void sync_ping() {
    if (conn.closed()) return;
    conn.send("PING\r\n");
    ++pings;
    own_pings.push_back(pings);
  }
};

}  // namespace

std::vector<ConnResult> run_conversation(int port, int nconns, const std::vector<Step>& steps,
                                         const std::vector<std::string>* target) {
  std::vector<Session> ss(static_cast<size_t>(nconns));
  for (auto& s : ss) {
    if (!s.conn.connect(port)) {
      s.res.info = "<connect failed>";
      s.res.closed = true;
      continue;
    }
    // Each connection gets its INFO before the next one is opened, so the
    // accept order is the connection order.
    s.read_while_not([&] { return s.got_info; }, Clock::now() + std::chrono::milliseconds(kTimeoutMs));
  }

  for (const auto& st : steps) {
    Session& s = ss.at(static_cast<size_t>(st.conn));
    if (s.res.closed || s.conn.closed()) continue;
    for (size_t i = 0; i < st.chunks.size(); ++i) {
      if (i > 0 && st.gap_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(st.gap_us));
      if (!s.conn.send(st.chunks[i])) break;
    }
    s.pings += count_client_pings(st.chunks);
    if (st.sync) {
      s.sync_ping();
      s.read_while_not([&] { return s.pongs >= s.pings; },
                       Clock::now() + std::chrono::milliseconds(kTimeoutMs));
    }
  }

  // Final collection: one more PING per open connection; also wait for the
  // target transcript when one is given (deliveries from other connections
  // may legitimately arrive after that PONG on a sharded server).
  std::vector<ConnResult> out;
  for (size_t c = 0; c < ss.size(); ++c) {
    Session& s = ss[c];
    const std::string* want = (target && c < target->size()) ? &(*target)[c] : nullptr;
    if (!s.res.closed) {
      s.sync_ping();
      auto deadline = Clock::now() + std::chrono::milliseconds(kTimeoutMs);
      s.read_while_not(
          [&] {
            if (s.pongs < s.pings) return false;
            if (!want) return true;
            std::string r = s.rendered();
            return r.size() >= want->size() || want->compare(0, r.size(), r) != 0;
          },
          deadline);
    }
    s.res.transcript = s.rendered();
    out.push_back(std::move(s.res));
  }
  return out;
}

}  // namespace itest
