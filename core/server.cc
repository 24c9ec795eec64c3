// Server start-up and shared state: the client listener, the shards and the
// N x N ring matrix between them, the server identity and the INFO line.
#include "core/server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <thread>

#include "core/clock.h"
#include "core/go_text.h"
#include "core/log.h"
#include "proto/connect.h"

namespace ringnats {

size_t shard_ring_capacity(int nshards);

static int default_shards(size_t ncpu) { return ncpu <= 2 ? 1 : static_cast<int>(ncpu); }

Server::Server(Options opts) : opts_(std::move(opts)) {
  start_wall_ns_ = wall_ns();
  server_id_ = proto::make_server_id();
  accounts_.build(opts_.security, server_id_);
  users_.build(opts_.security);
  server_name_ = opts_.server_name.empty() ? server_id_ : opts_.server_name;
  // Default: one shard per CPU we may run on (so `taskset -c 0` gives one),
  // but one on a machine of two: a second shard there mostly adds a hop
  // between shards to each message while it takes the core the kernel's
  // network work and the clients need (bench/RESULTS.md, unpinned).
  size_t ncpu = allowed_cpus().size();
  nshards_ = opts_.shards > 0 ? opts_.shards : default_shards(ncpu);
  if (nshards_ > Qsbr::kMaxShards) nshards_ = Qsbr::kMaxShards;
  // bcrypt checks: one worker per two CPUs (1 to 4), at most 1024 waiting;
  // past that a login fails as a wrong password would.
  auth_pool_ = std::make_unique<auth::AuthPool>(std::clamp(static_cast<int>(ncpu / 2), 1, 4), 1024);
}

Server::~Server() {
  // No worker may post a result to a shard from here on.
  auth_pool_->stop();
  // The shards have stopped: what is still in the rings between them will
  // never be handled, and owns blocks (and objects) to free.
  for (auto& ring : rings_) {
    ring->publish();
    ring->drain([](Rec& r) { release_rec(r); });
  }
  shards_.clear();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

namespace {
// The name server Go's resolver would have asked (its lookup errors name
// it): resolv.conf's first, else Go's default.
std::string resolver_address() {
  std::ifstream f("/etc/resolv.conf");
  for (std::string line; std::getline(f, line);) {
    std::istringstream in(line);
    std::string key, ip;
    if (in >> key >> ip && key == "nameserver") return go_join_host_port(ip, 53);
  }
  return "127.0.0.1:53";
}
}  // namespace

// Binds host:port; port 0 or -1 asks the kernel. Returns the fd or -1 with
// err in the words of Go's net.Listen, which nats-server quotes.
int listen_tcp(const std::string& host, int port, int* bound_port, std::string& err) {
  if (port < -1 || port > 65535) {
    err = "listen tcp: address " + std::to_string(port) + ": invalid port";
    return -1;
  }
  const int want = port < 0 ? 0 : port;
  const std::string ps = std::to_string(want);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), ps.c_str(), &hints, &res);
  if (rc != 0) {
    err = rc == EAI_NONAME ? "listen tcp: lookup " + host + " on " + resolver_address() + ": no such host"
                           : "listen tcp: lookup " + host + ": " + gai_strerror(rc);
    return -1;
  }
  // Go names a wildcard address 0.0.0.0, whichever family it listens on.
  const bool wildcard = host.empty() || host == "0.0.0.0" || host == "::";
  const std::string addr = wildcard ? "0.0.0.0:" + ps : go_join_host_port(host, want);
  int fd = -1;
  // A process killed a moment ago (kill -9, a crash) leaves its listener
  // alive until the kernel has torn its io_uring down, some milliseconds
  // after the exit (the pending accept holds it). A supervisor restarting at
  // once would find the port taken, so "in use" is retried for a second;
  // a port a live process holds still fails, that much later.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (;;) {
    bool in_use = false;
    for (addrinfo* a = res; a; a = a->ai_next) {
      fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      const bool bound = bind(fd, a->ai_addr, a->ai_addrlen) == 0;
      if (bound && listen(fd, 4096) == 0) break;
      in_use = in_use || errno == EADDRINUSE;
      err = "listen tcp " + addr + (bound ? ": listen: " : ": bind: ") + go_errno_text(errno);
      ::close(fd);
      fd = -1;
    }
    if (fd >= 0 || !in_use || std::chrono::steady_clock::now() >= give_up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  freeaddrinfo(res);
  if (fd < 0) return -1;
  sockaddr_storage ss{};
  socklen_t sl = sizeof(ss);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &sl);
  if (ss.ss_family == AF_INET) *bound_port = ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  else *bound_port = ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return fd;
}

void Server::begin_accepting() {
  shards_[0]->post([](Shard& s) { s.begin_accepting(); });
}

bool Server::start(std::string& err) {
  qsbr_ = std::make_unique<Qsbr>(nshards_);
  for (int i = 0; i < nshards_ * nshards_; ++i)
    rings_.push_back(std::make_unique<SpscRing<Rec>>(i % (nshards_ + 1) == 0 ? 2 : shard_ring_capacity(nshards_)));
  const SecurityOptions& sec = opts_.security;
  if (sec.tls.enabled && !(client_tls_ = tls::Context::build(sec.tls, tls::Role::Server, err))) return false;
  if (sec.cluster_tls.enabled &&
      (!(route_tls_accept_ = tls::Context::build(sec.cluster_tls, tls::Role::Server, err)) ||
       !(route_tls_dial_ = tls::Context::build(sec.cluster_tls, tls::Role::Client, err))))
    return false;
  listen_fd_ = listen_tcp(opts_.host, opts_.port, &client_port_, err);
  if (listen_fd_ < 0) return false;
  for (int i = 0; i < nshards_; ++i) shards_.push_back(std::make_unique<Shard>(*this, i));
  for (auto& s : shards_)
    if (!s->start(err)) {
      shutdown();
      wait();
      return false;
    }
  return true;
}

void Server::shutdown() {
  // Take the listener out of LISTEN now: the io_uring accept still pending
  // on it would otherwise keep it alive (and accepting) after we exit, so a
  // restart on the same port would find it taken.
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  stopping_.store(true, std::memory_order_release);
  for (auto& s : shards_) s->request_stop();
}

void Server::wait() {
  for (auto& s : shards_) s->join();
}

void Server::enter_lame_duck() {
  lame_duck_.store(true, std::memory_order_relaxed);
  // Out of LISTEN at once: new clients are refused, not left waiting.
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
}

bool Server::replace_options(const Options& next, int timeout_ms) {
  struct Barrier {
    std::mutex mu;
    std::condition_variable cv;
    int parked = 0;
    bool released = false;
  };
  auto b = std::make_shared<Barrier>();
  for (auto& s : shards_)
    s->post([b](Shard& sh) {
      {
        std::unique_lock<std::mutex> g(b->mu);
        ++b->parked;
        b->cv.notify_all();
        b->cv.wait(g, [&] { return b->released; });
      }
      sh.options_changed();
    });
  std::unique_lock<std::mutex> g(b->mu);
  bool all = b->cv.wait_for(g, std::chrono::milliseconds(timeout_ms),
                            [&] { return b->parked == nshards_; });
  if (all) {
    std::unique_lock<std::shared_mutex> w(opts_mu_);
    opts_ = next;
    accounts_.build(opts_.security, server_id_);  // same accounts (reload refuses changes), new addresses
    users_.build(opts_.security);
  }
  b->released = true;
  b->cv.notify_all();
  return all;
}

bool Server::gather(const std::function<void(Shard&)>& fn) {
  // Shared with the shards: one that answers after the timeout still finds
  // it alive (and `fn` with it).
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    int left;
    std::function<void(Shard&)> fn;
  };
  auto st = std::make_shared<State>();
  st->left = nshards_;
  st->fn = fn;
  for (auto& s : shards_)
    s->post([st](Shard& sh) {
      st->fn(sh);
      std::lock_guard<std::mutex> g(st->mu);
      if (--st->left == 0) st->cv.notify_all();
    });
  // Waits for every shard, however long their turns take: a caller that
  // went on early would read results a late shard is still writing. Only a
  // stopping server (whose shards may never run `fn`) ends the wait early.
  std::unique_lock<std::mutex> g(st->mu);
  while (!st->cv.wait_for(g, std::chrono::milliseconds(100), [&] { return st->left == 0; }))
    if (stopping_.load(std::memory_order_acquire)) return false;
  return true;
}

void Server::set_connect_urls(std::vector<std::string> urls, size_t own) {
  std::lock_guard<std::mutex> g(urls_mu_);
  connect_urls_ = std::move(urls);
  own_urls_ = std::min(own, connect_urls_.size());
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  urls_changed_ns_.store(int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec);
}

std::vector<std::string> Server::connect_urls() {
  std::lock_guard<std::mutex> g(urls_mu_);
  return connect_urls_;
}

std::string Server::client_info(const Conn& c, bool first) {
  proto::ServerInfo info;
  info.server_id = server_id_;
  info.server_name = server_name_;
  info.version = kCompatVersion;
  info.proto = 1;
  info.go = "ringnats/" RINGNATS_VERSION;
  info.host = opts_.host;
  info.port = client_port_;
  info.headers = true;
  // nats: no_auth_user means a client need not authenticate.
  info.auth_required = auth_required() && opts_.security.no_auth_user.empty();
  if (first) info.nonce = c.nonce;
  // allow_non_tls: TLS is offered, not required (nats' tls_available).
  info.tls_required = opts_.security.tls.enabled && !opts_.security.tls.allow_non_tls;
  info.tls_available = opts_.security.tls.enabled && opts_.security.tls.allow_non_tls;
  info.tls_verify = opts_.security.tls.enabled && opts_.security.tls.verify;
  info.max_payload = static_cast<int32_t>(opts_.max_payload);
  info.client_id = c.cid;
  info.client_ip = c.remote_ip;
  if (opts_.cluster.enabled) {
    info.cluster = cluster_name();  // under its lock: the cluster layer may set it meanwhile
    if (info.cluster.empty()) info.cluster = opts_.cluster.name;
  }
  info.ldm = lame_duck_.load(std::memory_order_relaxed);
  info.jetstream = opts_.jetstream.enabled;
  info.domain = opts_.jetstream.domain;
  if (!opts_.cluster.no_advertise) {
    info.connect_urls = connect_urls();
    // In lame duck, clients are told only where else to go (as nats does).
    if (info.ldm) {
      std::lock_guard<std::mutex> g(urls_mu_);
      size_t own = std::min(own_urls_, info.connect_urls.size());
      info.connect_urls.erase(info.connect_urls.begin(), info.connect_urls.begin() + static_cast<long>(own));
    }
  }
  return proto::info_line(info);
}

}  // namespace ringnats
