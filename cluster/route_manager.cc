// Route manager: dial and accept on a control thread, then hand each route
// socket to a shard; everything a route says is handled on that shard.
// Registry, interest counts and the dial queue sit behind one mutex that only
// control-path events (route up/down, SUB/UNSUB interest changes) take.
#include "cluster/route_manager.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <tuple>
#include <array>
#include <cstring>
#include <memory>
#include <random>
#include <utility>

#include "auth/cert_identity.h"
#include "auth/password.h"
#include "auth/user_index.h"
#include "config/conf.h"
#include "core/go_text.h"
#include "core/log.h"
#include "core/subject_match.h"
#include "core/server.h"
#include "core/shard.h"
#include "proto/json.h"
#include "proto/route_args.h"
#include "proto/subject.h"
#include "tls/session.h"

namespace ringnats {

namespace {

int64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t jitter_ns(int64_t max) {
  static thread_local std::minstd_rand rng(static_cast<unsigned>(mono_ns()));
  return max > 0 ? static_cast<int64_t>(rng() % static_cast<uint64_t>(max)) : 0;
}

// "nats-route://u:p@host:port/", "nats://host:port", "host:port" -> host, port.
bool parse_url(const std::string& url, std::string& host, int& port) {
  std::string s = url;
  size_t scheme = s.find("://");
  if (scheme != std::string::npos) s = s.substr(scheme + 3);
  size_t at = s.rfind('@');
  if (at != std::string::npos) s = s.substr(at + 1);
  while (!s.empty() && s.back() == '/') s.pop_back();
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  host = s.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  port = atoi(s.c_str() + colon + 1);
  return port > 0 && !host.empty();
}

// The user:pass of a route URL, sent in our CONNECT (nats-route://u:p@h:p).
void url_credentials(const std::string& url, std::string& user, std::string& pass) {
  size_t scheme = url.find("://");
  std::string rest = scheme == std::string::npos ? url : url.substr(scheme + 3);
  size_t at = rest.rfind('@');
  if (at == std::string::npos) return;
  std::string info = rest.substr(0, at);
  size_t colon = info.find(':');
  user = info.substr(0, colon);
  if (colon != std::string::npos) pass = info.substr(colon + 1);
}

int dial(const std::string& host, int port, int timeout_ms, std::string& err) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string ps = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), ps.c_str(), &hints, &res);
  if (rc != 0) {
    err = gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = res; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      err = strerror(errno);
      ::close(fd);
      fd = -1;
      continue;
    }
    pollfd p{fd, POLLOUT, 0};
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    if (poll(&p, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
      err = soerr ? strerror(soerr) : "i/o timeout";
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd >= 0) {
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  }
  return fd;
}

std::vector<std::string> interface_ips() {
  std::vector<std::string> out;
  ifaddrs* ifs = nullptr;
  if (getifaddrs(&ifs) != 0) return out;
  for (ifaddrs* i = ifs; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, ip, sizeof(ip));
    if (std::string(ip).rfind("127.", 0) == 0) continue;
    out.push_back(ip);
  }
  freeifaddrs(ifs);
  return out;
}

// A+/A- once proto::Op has them (see route_op); false until then.
template <class O>
constexpr bool is_account_op(O op) {
  if constexpr (requires { O::AccPlus; O::AccMinus; })
    return op == O::AccPlus || op == O::AccMinus;
  else
    return false;
}

std::string random_name() {
  static const char kAlpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 22; ++i) s += kAlpha[rd() % 62];
  return s;
}

}  // namespace

RouteManager::RouteManager(Server& srv) : srv_(srv), co_(srv.opts().cluster) {}

RouteManager::~RouteManager() { stop(); }

bool RouteManager::start(std::string& err) {
  cluster_name_ = co_.name;
  if (cluster_name_.empty()) {
    cluster_name_ = random_name();
    dynamic_name_ = true;
  }
  const Options& o = srv_.opts();
  if (!o.client_advertise.empty()) {
    own_client_urls_.push_back(o.client_advertise);
  } else if (o.host.empty() || o.host == "0.0.0.0" || o.host == "::") {
    for (auto& ip : interface_ips()) own_client_urls_.push_back(ip + ":" + std::to_string(srv_.client_port()));
    if (own_client_urls_.empty()) own_client_urls_.push_back("127.0.0.1:" + std::to_string(srv_.client_port()));
  } else {
    own_client_urls_.push_back(o.host + ":" + std::to_string(srv_.client_port()));
  }
  srv_.set_cluster_name(cluster_name_);
  log::notice("Cluster name is %s", cluster_name_.c_str());
  if (dynamic_name_)
    log::warn("Cluster name was dynamically generated, consider setting one");
  if (co_.enabled) {
    listen_fd_ = listen_tcp(co_.host, co_.port, &port_, err);
    if (listen_fd_ < 0) {
      err = "Error listening on router port: " + std::to_string(co_.port) + " - " + err;
      return false;
    }
    log::notice("Listening for route connections on %s", go_join_host_port(co_.host, port_).c_str());
    if (srv_.opts().security.cluster_tls.enabled && srv_.opts().security.cluster_tls.insecure)
      log::warn("TLS certificate chain and hostname of solicited routes will not be verified. DO NOT USE IN "
                "PRODUCTION!");
  }
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  explicit_urls_ = co_.routes;
  for (const auto& url : co_.routes) {
    std::string h;
    int p;
    if (!parse_url(url, h, p)) {
      err = "Error parsing route URL: " + url;
      return false;
    }
    configured_.insert(h + ":" + std::to_string(p));
    schedule_dial(url, true, 0, -1);
  }
  srv_.set_cluster(this);
  // The shards started before us: their standing interest (service
  // imports' response subjects) was announced to nobody.
  srv_.gather([](Shard& s) { s.announce_account_entries(); });
  ctl_ = std::thread([this] { control_loop(); });
  return true;
}

void RouteManager::stop() {
  if (stop_.exchange(true)) return;
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t w = ::write(wake_fd_, &one, sizeof(one));
  }
  if (ctl_.joinable()) ctl_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

void RouteManager::shard_stopping(Shard& s) {
  // Close routes cleanly so peers see a FIN, as on nats-server shutdown.
  s.for_each_conn([&](Conn* c) {
    if (c->type == ConnType::Route && c->route) {
      auto* rs = static_cast<RouteState*>(c->route);
      rs->explicit_route = false;
      ::shutdown(c->fd, SHUT_RDWR);
    }
  });
}

void RouteManager::schedule_dial(const std::string& url, bool explicit_route, int64_t delay_ns,
                                 int retries) {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (dialing_.count(url) || removed_urls_.count(url)) return;
    dialing_.insert(url);
    dials_.push_back(Dial{url, explicit_route, retries, mono_ns() + delay_ns});
  }
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t w = ::write(wake_fd_, &one, sizeof(one));
  }
}

void RouteManager::control_loop() {
  while (!stop_.load()) {
    int64_t now = mono_ns();
    int64_t next = now + 1'000'000'000;
    std::vector<Dial> due;
    {
      std::lock_guard<std::mutex> g(mu_);
      for (size_t i = 0; i < dials_.size();) {
        if (dials_[i].due_ns <= now) {
          due.push_back(dials_[i]);
          dials_.erase(dials_.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
          next = std::min(next, dials_[i].due_ns);
          ++i;
        }
      }
    }
    for (auto& d : due) {
      std::string host, err;
      int port = 0;
      parse_url(d.url, host, port);
      log::debug("Trying to connect to route on %s:%d (%s:%d)", host.c_str(), port, host.c_str(), port);
      int fd = dial(host, port, 1000, err);
      if (fd >= 0) {
        {
          std::lock_guard<std::mutex> g(mu_);
          dialing_.erase(d.url);
        }
        adopt(fd, true, &d);
        continue;
      }
      bool again = d.explicit_route || d.attempts_left > 0;
      log::debug("Error trying to connect to route (attempt %d): dial tcp %s:%d: connect: %s",
                 1, host.c_str(), port, err.c_str());
      std::lock_guard<std::mutex> g(mu_);
      if (again && !stop_.load()) {
        Dial r = d;
        if (!r.explicit_route) --r.attempts_left;
        r.due_ns = mono_ns() + 1'000'000'000 + jitter_ns(100'000'000);
        next = std::min(next, r.due_ns);
        dials_.push_back(r);
      } else {
        dialing_.erase(d.url);
      }
    }
    pollfd pf[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int wait_ms = static_cast<int>(std::max<int64_t>(0, (next - mono_ns()) / 1'000'000));
    int n = poll(pf, 2, due.empty() ? std::max(wait_ms, 1) : 0);
    if (n <= 0) continue;
    if (pf[1].revents) {
      uint64_t v;
      [[maybe_unused]] ssize_t r = ::read(wake_fd_, &v, sizeof(v));
    }
    if (listen_fd_ >= 0 && (pf[0].revents & POLLIN)) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) adopt(fd, false, nullptr);
    }
  }
}

std::string RouteManager::connect_line(const std::string& url) {
  RouteConnect rc;
  {
    std::lock_guard<std::mutex> g(mu_);
    rc = RouteConnect::ours(srv_.server_id(), cluster_name_, dynamic_name_);
  }
  url_credentials(url, rc.user, rc.pass);
  rc.tls_required = srv_.route_tls(true) != nullptr;
  return cluster::route_connect_line(rc);
}

std::string RouteManager::our_info_line(bool with_nonce) {
  RouteInfo ri;
  ri.server_id = srv_.server_id();
  ri.server_name = srv_.server_name();
  ri.version = Server::kCompatVersion;
  ri.go = "ringnats/" RINGNATS_VERSION;
  ri.ldm = srv_.lame_duck();
  std::string adv_host = co_.host;
  int adv_port = port_;
  if (!co_.advertise.empty()) {
    std::string h;
    int p;
    std::string a = co_.advertise;
    if (a.find(':') == std::string::npos) a += ":" + std::to_string(port_);
    if (parse_url(a, h, p)) {
      adv_host = h;
      adv_port = p;
      ri.ip = "nats-route://" + h + ":" + std::to_string(p) + "/";
    }
  }
  ri.host = adv_host;
  ri.port = adv_port;
  ri.headers = true;
  ri.auth_required = !co_.username.empty();
  // As nats: TLS routes always verify the peer's certificate.
  ri.tls_required = ri.tls_verify = srv_.route_tls(false) != nullptr;
  ri.max_payload = static_cast<int32_t>(srv_.opts_snapshot().max_payload);
  if (with_nonce) ri.nonce = random_name().substr(0, 15);
  {
    std::lock_guard<std::mutex> g(mu_);
    ri.cluster = cluster_name_;
    ri.cluster_dynamic = dynamic_name_;
  }
  if (!co_.no_advertise) ri.connect_urls = own_client_urls_;
  return route_info_line(ri, /*gossip=*/false);
}

void RouteManager::adopt(int fd, bool solicited, const Dial* d) {
  int target;
  uint64_t rid;
  {
    std::lock_guard<std::mutex> g(mu_);
    target = next_shard_++ % srv_.nshards();
    rid = next_rid_++;
  }
  std::string hello = solicited ? connect_line(d ? d->url : std::string()) + our_info_line(true)
                                : our_info_line(true);
  RouteState* rs = new RouteState;
  rs->solicited = solicited;
  rs->rid = rid;
  if (d) {
    rs->explicit_route = d->explicit_route;
    rs->dial_url = d->url;
  }
  bool must_auth = !solicited && !co_.username.empty();
  // TLS routes: the handshake comes first (nats 2.9), then CONNECT and INFO
  // inside it; the dialing side is the TLS client and checks the peer's
  // certificate against the host it dialed.
  std::string tls_host;
  if (solicited && d) {
    int p = 0;
    parse_url(d->url, tls_host, p);
  }
  // The shard takes the socket and the state when it runs this; a shard
  // that stops first never runs it, and the holder frees both then.
  struct Pending {
    Pending(int f, RouteState* r) : fd(f), rs(r) {}
    Pending(const Pending&) = delete;
    Pending& operator=(const Pending&) = delete;
    int fd;
    RouteState* rs;
    ~Pending() {
      delete rs;
      if (fd >= 0) ::close(fd);
    }
  };
  auto pending = std::make_shared<Pending>(fd, rs);
  srv_.shard(target).post([this, pending, hello, must_auth, tls_host](Shard& s) {
    RouteState* rs = std::exchange(pending->rs, nullptr);
    Conn* c = s.new_conn(std::exchange(pending->fd, -1), ConnType::Route);
    c->route = rs;
    c->rid = rs->rid;
    if (const tls::Context* t = s.server().route_tls(rs->solicited)) s.start_tls(c, *t, tls_host);
    // With cluster authorization the peer's first operation must be CONNECT.
    if (must_auth) c->parser.set_require_connect(true);
    rs->next_ping_ns = s.now_ns() + 1'000'000'000 + jitter_ns(200'000'000);
    c->out.append(hello);
    s.mark_dirty(c);
    if (rs->solicited) log::debug("%s - Route connect msg sent", route_prefix(c, *rs).c_str());
    log::notice("%s - Route connection created", route_prefix(c, *rs).c_str());
  });
}

std::string RouteManager::route_prefix(const Conn* c, const RouteState& rs) const {
  return c->remote_ip + ":" + std::to_string(c->remote_port) + " - rid:" + std::to_string(rs.rid);
}

void RouteManager::reject(Shard& s, Conn* c, const std::string& err_line) {
  c->out.append(err_line);
  s.mark_dirty(c);
  s.close_conn(c, proto::ErrCode::ProtocolViolation);
}

proto::Flow RouteManager::route_op(Shard& s, Conn* c, proto::Op op, std::string_view args) {
  auto* rs = static_cast<RouteState*>(c->route);
  if (!rs) return proto::Flow::Stop;
  switch (op) {
    case proto::Op::Connect:
      process_connect(s, c, *rs, args);
      break;
    case proto::Op::Info:
      process_info(s, c, *rs, args);
      break;
    case proto::Op::RsPlus:
      remote_sub(s, c, *rs, args, true, false);
      break;
    // nats hands UNSUB and LS- on a route to the RS- code, and LS+ to the RS+
    // code with a leading origin: all three register or drop interest. SUB on
    // a route is read and ignored. (We never announce lnoc, so a stock peer
    // sends no LS+/LS-/LMSG; these are for what a peer may send anyway.)
    case proto::Op::RsMinus:
    case proto::Op::LsMinus:
    case proto::Op::Unsub:
      remote_sub(s, c, *rs, args, false, false);
      break;
    case proto::Op::LsPlus:
      remote_sub(s, c, *rs, args, true, true);
      break;
    case proto::Op::Sub:
      break;
    case proto::Op::Ping:
      c->out.append("PONG\r\n");
      s.mark_dirty(c);
      break;
    case proto::Op::Pong:
      rs->ping_out = 0;
      break;
    case proto::Op::Ok:
      break;
    case proto::Op::Err:
      log::error("%s - Route Error %.*s", route_prefix(c, *rs).c_str(), static_cast<int>(args.size()),
                 args.data());
      s.close_conn(c, proto::ErrCode::ProtocolViolation);
      return proto::Flow::Stop;
    default:
      // nats reads A+/A- (gateway interest) on a route and ignores them. The
      // core parser has no such operations yet; once it reports them (as
      // Op::AccPlus/AccMinus) they are ignored here.
      if (is_account_op(op)) break;
      // LMSG lands here as a bare control line while the core parser frames
      // no payload for it, so its payload cannot be skipped: close, as for
      // anything else a route may not send.
      s.close_conn(c, proto::ErrCode::ProtocolViolation);
      return proto::Flow::Stop;
  }
  return c->closing() ? proto::Flow::Stop : proto::Flow::Continue;
}

proto::Flow RouteManager::route_msg_args(Shard& s, Conn* c, const proto::MsgArgs& m) {
  auto* rs = static_cast<RouteState*>(c->route);
  if (!rs) return proto::Flow::Stop;
  // PUB/HPUB on a route: nats reads them as a client's and drops them (no
  // account); only their size matters here.
  bool client_op = m.op == proto::Op::Pub || m.op == proto::Op::Hpub;
  proto::RoutedOp op = m.op == proto::Op::Hmsg   ? proto::RoutedOp::Hmsg
                       : m.op == proto::Op::Lmsg ? proto::RoutedOp::Lmsg
                                                 : proto::RoutedOp::Rmsg;
  proto::RoutedMsgArgs ra;
  ra.size = m.size;
  proto::RouteArgStatus st = client_op ? proto::RouteArgStatus::Ok : proto::parse_routed_msg(op, m.args, ra);
  if (st != proto::RouteArgStatus::Ok) {
    log::error("%s - Route parser ERROR, %.*s: '%.*s'", route_prefix(c, *rs).c_str(),
               static_cast<int>(proto::route_arg_error_text(st).size()), proto::route_arg_error_text(st).data(),
               static_cast<int>(m.args.size()), m.args.data());
    s.close_conn(c, proto::ErrCode::ProtocolViolation);
    return proto::Flow::Stop;
  }
  // nats puts no limit on a routed payload (a peer may run a larger
  // max_payload, and its clients' messages must still arrive here), and
  // allocates whatever the size says, up to ~1 GB. We take anything a
  // client here could be sent: up to max_pending, beyond which every
  // subscriber would be cut off as a slow consumer anyway.
  if (ra.size > srv_.opts().max_pending) {
    log::error("%s - Routed message of %lld bytes is over max_pending (%lld), closing the route",
               route_prefix(c, *rs).c_str(), static_cast<long long>(ra.size),
               static_cast<long long>(srv_.opts().max_pending));
    s.close_conn(c, proto::ErrCode::ProtocolViolation);
    return proto::Flow::Stop;
  }
  return proto::Flow::Continue;
}

// nats' isRouterAuthorized: with cluster verify_and_map the peer's
// certificate must name the cluster user (its CONNECT's credentials play
// no part); otherwise the CONNECT's user and password, when one is set.
bool RouteManager::route_authorized(const Conn* c, const RouteConnect& rc) const {
  if (srv_.opts().security.cluster_tls.verify_and_map) {
    auth::CertIdentity id;
    if (!c->tls || !c->tls->peer_names(id)) return false;
    return auth::map_certificate(
        id, [&](std::string_view name, const auth::Dn*, bool) { return !name.empty() && name == co_.username; });
  }
  if (co_.username.empty()) return true;
  return rc.user == co_.username && auth::equal_ct(co_.password, rc.pass);
}

void RouteManager::process_connect(Shard& s, Conn* c, RouteState& rs, std::string_view args) {
  RouteConnect rc;
  if (!parse_route_connect(args, rc)) {
    s.close_conn(c, proto::ErrCode::ProtocolViolation);
    return;
  }
  if (!rc.lang.empty()) {
    log::error("%s - Client connected to route port", route_prefix(c, rs).c_str());
    reject(s, c, "-ERR 'attempted to connect to route port'\r\n");
    return;
  }
  if (!route_authorized(c, rc)) {
    // nats' authViolation names what the server's client users are keyed by.
    const auth::UserIndex& ui = srv_.users();
    std::string who = ui.has_nkeys()   ? " - Nkey \"\""
                      : ui.has_users() ? " - User " + conf::go_quote(rc.user)
                                       : std::string();
    log::error("%s - authentication error%s", route_prefix(c, rs).c_str(), who.c_str());
    reject(s, c, "-ERR 'Authorization Violation'\r\n");
    return;
  }
  c->parser.set_require_connect(false);
  if (!rc.gateway.empty()) {
    reject(s, c, "-ERR 'Rejecting connection from gateway \"" + rc.gateway + "\" on the Route port'\r\n");
    return;
  }
  bool mismatch;
  {
    std::lock_guard<std::mutex> g(mu_);
    mismatch = rc.cluster != cluster_name_;
  }
  if (mismatch) {
    bool adopt_theirs = false;
    std::string ours;
    {
      std::lock_guard<std::mutex> g(mu_);
      ours = cluster_name_;
      if (dynamic_name_ && (!rc.cluster_dynamic || rc.cluster > cluster_name_)) {
        cluster_name_ = rc.cluster;
        dynamic_name_ = rc.cluster_dynamic;
        adopt_theirs = true;
      }
    }
    if (adopt_theirs) {
      srv_.set_cluster_name(rc.cluster);
      log::notice("Cluster name updated to %s", rc.cluster.c_str());
      close_other_routes(s.id(), c);
    } else {
      log::error("%s - Rejecting connection, cluster name \"%s\" does not match \"%s\"",
                 route_prefix(c, rs).c_str(), rc.cluster.c_str(), ours.c_str());
      reject(s, c, "-ERR 'Rejecting connection, cluster name \"" + rc.cluster + "\" does not match \"" +
                       ours + "\"'\r\n");
      return;
    }
  }
  rs.connect_seen = true;
  // A CONNECT repeated on a registered route changes nothing we key on: the
  // registry entry is found by remote_id when the route closes.
  if (rs.registered) return;
  rs.remote_id = rc.name;
  rs.headers = rc.headers;
}

void RouteManager::process_info(Shard& s, Conn* c, RouteState& rs, std::string_view args) {
  RouteInfo info;
  if (!parse_route_info(args, info)) {
    s.close_conn(c, proto::ErrCode::ProtocolViolation);
    return;
  }
  // processRouteInfo's checks, in its order (cluster::check_route_info):
  // our own id and a cluster name we cannot adopt close the route on every
  // INFO, the first, updates and gossip alike, without an -ERR.
  cluster::RouteInfoCheck chk{cluster::RouteInfoVerdict::Register};
  std::string ours;
  {
    std::lock_guard<std::mutex> g(mu_);
    ours = cluster_name_;
    cluster::RouteInfoContext ctx;
    ctx.our_id = srv_.server_id();
    ctx.our_name = srv_.server_name();
    ctx.our_cluster = ours;
    ctx.our_dynamic = dynamic_name_;
    ctx.solicited = rs.solicited;
    ctx.info_received = rs.registered;
    ctx.remote_id = rs.remote_id;
    chk = cluster::check_route_info(info, ctx);
    if (chk.adopt_cluster) {
      cluster_name_ = info.cluster;
      dynamic_name_ = info.cluster_dynamic;
    }
  }
  switch (chk.verdict) {
    case cluster::RouteInfoVerdict::SelfRoute:
      log::debug("%s - Detected route to self, ignoring \"%s\"", route_prefix(c, rs).c_str(),
                 rs.dial_url.c_str());
      rs.explicit_route = false;  // nats: the remote id is now ours, so no redial
      s.close_conn(c, proto::ErrCode::ProtocolViolation);
      return;
    case cluster::RouteInfoVerdict::ClusterConflict:
      log::error("%s - Cluster name conflict: \"%s\" in INFO does not match \"%s\"",
                 route_prefix(c, rs).c_str(), info.cluster.c_str(), ours.c_str());
      s.close_conn(c, proto::ErrCode::ProtocolViolation);
      return;
    case cluster::RouteInfoVerdict::DuplicateName:
      // Two servers with one name would confuse every peer; nats refuses it.
      log::error("%s - Remote server has a duplicate name: \"%s\"", route_prefix(c, rs).c_str(),
                 info.server_name.c_str());
      s.close_conn(c, proto::ErrCode::ProtocolViolation);
      return;
    default:
      break;
  }
  if (chk.adopt_cluster) {
    srv_.set_cluster_name(info.cluster);
    log::notice("Cluster name updated to %s", info.cluster.c_str());
    close_other_routes(s.id(), c);
  }
  if (rs.registered) {
    if (info.server_id != rs.remote_id) {
      // Gossip about another member: connect to it unless we know it.
      std::string url = !info.ip.empty() ? info.ip : cluster::route_url(info.host, info.port);
      bool dial_it = false;
      {
        std::lock_guard<std::mutex> g(mu_);
        std::string hp = info.host + ":" + std::to_string(info.port);
        dial_it = !routes_.count(info.server_id) && !configured_.count(hp);
      }
      if (dial_it) schedule_dial(url, false, jitter_ns(100'000'000), co_.connect_retries);
      return;
    }
    // An update from the peer itself. nats reads only lame duck mode from
    // it: the peer's client URLs are withdrawn. Other connect_urls changes
    // are ignored, as nats ignores them.
    if (info.ldm) {
      {
        std::lock_guard<std::mutex> g(mu_);
        auto it = routes_.find(rs.remote_id);
        if (it != routes_.end()) it->second.connect_urls.clear();
      }
      refresh_client_urls();
    }
    return;
  }
  // As in nats, the INFO decides who the peer is and whether it takes
  // headers, whatever its CONNECT said.
  rs.remote_id = info.server_id;
  rs.headers = info.headers;
  rs.remote_name = info.server_name;
  register_route(s, c, rs, info);
}

void RouteManager::close_other_routes(int keep_shard, const Conn* keep) {
  // nats drops every other route when it adopts a peer's cluster name; the
  // solicited ones redial under the new name.
  std::vector<std::tuple<int, uint32_t, uint32_t>> targets;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (auto& [id, r] : routes_)
      if (!(r.shard == keep_shard && r.slot == keep->slot && r.gen == keep->gen))
        targets.emplace_back(r.shard, r.slot, r.gen);
  }
  for (auto& [shard, slot, gen] : targets) {
    srv_.shard(shard).post([slot = slot, gen = gen](Shard& sh) {
      Conn* rc = sh.conn_at(slot, gen);
      if (rc && rc->type == ConnType::Route) sh.close_conn(rc, proto::ErrCode::ProtocolViolation);
    });
  }
}

void RouteManager::register_route(Shard& s, Conn* c, RouteState& rs, const RouteInfo& info) {
  std::string gossip = route_info_line(cluster::gossip_info(info, c->remote_ip), /*gossip=*/true);
  std::vector<std::pair<int, std::pair<uint32_t, uint32_t>>> others;
  std::string dump;
  bool duplicate = false;
  {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = routes_.find(info.server_id);
    if (it != routes_.end()) {
      // First registered wins. If we dialed this one from the config, the
      // survivor inherits the duty to redial.
      duplicate = true;
      if (rs.solicited && rs.explicit_route) it->second.redial_url = rs.dial_url;
    } else {
      for (auto& [id, r] : routes_) others.push_back({r.shard, {r.slot, r.gen}});
      routes_[info.server_id] = Registered{s.id(), c->slot, c->gen, info.server_name,
                                           info.connect_urls, gossip, {}};
      route_order_.push_back(info.server_id);
      for (auto& [key, count] : local_) {
        if (count <= 0) continue;
        const auto& [acc, subject, queue] = key;
        dump.append("RS+ ").append(srv_.accounts().at(acc).name).append(" ").append(subject);
        if (!queue.empty()) dump.append(" ").append(queue).append(" ").append(std::to_string(count));
        dump.append("\r\n");
      }
    }
  }
  if (duplicate) {
    log::debug("%s - Detected duplicate remote route \"%s\"", route_prefix(c, rs).c_str(),
               info.server_id.c_str());
    rs.explicit_route = false;
    s.close_conn(c, proto::ErrCode::None);
    return;
  }
  rs.registered = true;
  log::debug("%s - Registering remote route \"%s\"", route_prefix(c, rs).c_str(), info.server_id.c_str());
  if (!dump.empty()) c->out.append(dump);
  s.mark_dirty(c);
  log::debug("%s - Sent local subscriptions to route", route_prefix(c, rs).c_str());
  for (auto& [shard, sg] : others) s.send_to_conn(shard, sg.first, sg.second, gossip, {}, nullptr);
  refresh_client_urls();
}

void RouteManager::remote_sub(Shard& s, Conn* c, RouteState& rs, std::string_view args, bool add,
                              bool has_origin) {
  proto::RemoteSubArgs a;
  proto::RouteArgStatus st =
      add ? proto::parse_remote_sub(args, a, has_origin) : proto::parse_remote_unsub(args, a);
  if (st != proto::RouteArgStatus::Ok) {
    log::error("%s - Route parser ERROR, %.*s", route_prefix(c, rs).c_str(),
               static_cast<int>(proto::route_arg_error_text(st).size()), proto::route_arg_error_text(st).data());
    s.close_conn(c, proto::ErrCode::ProtocolViolation);
    return;
  }
  const uint32_t acc = srv_.accounts().find(a.account);
  if (acc == kNoAccount) {
    log::debug("%s - Unknown account \"%.*s\"", route_prefix(c, rs).c_str(),
               static_cast<int>(a.account.size()), a.account.data());
    return;
  }
  if (add && !proto::valid_subscribe_subject(a.subject)) {
    // nats' sublist refuses it: the peer is told, the route stays up.
    log::error("%s - Could not insert subscription: invalid subject \"%.*s\"", route_prefix(c, rs).c_str(),
               static_cast<int>(a.subject.size()), a.subject.data());
    c->out.append("-ERR 'Invalid Subscription'\r\n");
    s.mark_dirty(c);
    return;
  }
  uint32_t weight = a.queue.empty() ? 1 : proto::route_queue_weight(a.weight);
  std::string subject(a.subject);
  std::string queue(a.queue);
  auto key = std::make_tuple(acc, subject, queue);
  if (!add) {
    if (!rs.remote_keys.erase(key)) return;
  } else {
    rs.remote_keys.insert(key);
  }
  SubRef ref;
  ref.cid = c->cid;
  ref.slot = c->slot;
  ref.gen = c->gen;
  ref.shard = static_cast<uint16_t>(s.id());
  ref.flags = static_cast<uint8_t>(kSubRoute | (rs.headers ? kSubHeaders : 0));
  ref.weight = weight;
  int p = partition_of(subject, srv_.nshards());
  if (p == s.id()) {
    if (add) s.partition_mut(acc).insert(subject, queue, ref);
    else s.partition_mut(acc).remove(subject, queue, ref);
    return;
  }
  // The peer's messages after this line may be answered by our clients at
  // once (a request whose reply subject it just subscribed): none of them
  // is read before the interest is in the index. Interest lines go on.
  Rec r{add ? RecKind::SubAdd : RecKind::SubRemove};
  r.ctl = new SubOp{subject, queue, ref, static_cast<uint16_t>(s.id()), c->slot, c->gen, add, acc};
  s.push(p, r);
  if (add) {
    ++c->pending_acks;
    c->parser.set_hold(true);
  }
}

void RouteManager::route_closed(Shard& s, Conn* c) {
  auto* rs = static_cast<RouteState*>(c->route);
  if (!rs) return;
  c->route = nullptr;
  // Forget everything this peer was interested in.
  for (auto& [acc, subject, queue] : rs->remote_keys) {
    SubRef ref;
    ref.slot = c->slot;
    ref.gen = c->gen;
    ref.shard = static_cast<uint16_t>(s.id());
    ref.flags = kSubRoute;  // identity: a route entry, never a client's
    int p = partition_of(subject, srv_.nshards());
    if (p == s.id()) {
      s.partition_mut(acc).remove(subject, queue, ref);
    } else {
      Rec r{RecKind::SubRemove};
      r.ctl = new SubOp{subject, queue, ref, static_cast<uint16_t>(s.id()), 0, 0, false, acc};
      s.push(p, r);
    }
  }
  bool was_registered = false;
  std::string redial;
  {
    std::lock_guard<std::mutex> g(mu_);
    auto it = routes_.find(rs->remote_id);
    if (rs->registered && it != routes_.end() && it->second.shard == s.id() &&
        it->second.slot == c->slot && it->second.gen == c->gen) {
      redial = it->second.redial_url;
      routes_.erase(it);
      route_order_.erase(std::remove(route_order_.begin(), route_order_.end(), rs->remote_id),
                         route_order_.end());
      was_registered = true;
    }
  }
  log::notice("%s - Router connection closed: %s", route_prefix(c, *rs).c_str(),
              stop_.load() ? "Server Shutdown" : rs->removed ? "Route Removed" : "Client Closed");
  if (was_registered) refresh_client_urls();
  if (!stop_.load() && !redial.empty() && !rs->explicit_route)
    schedule_dial(redial, true, 1'000'000'000 + jitter_ns(100'000'000), -1);
  if (!stop_.load() && rs->solicited) {
    if (rs->explicit_route)
      schedule_dial(rs->dial_url, true, 1'000'000'000 + jitter_ns(100'000'000), -1);
    else if (was_registered)
      schedule_dial(rs->dial_url, false, jitter_ns(100'000'000), co_.connect_retries);
  }
  delete rs;
}

void RouteManager::route_timer(Shard& s, Conn* c) {
  auto* rs = static_cast<RouteState*>(c->route);
  if (!rs || s.now_ns() < rs->next_ping_ns) return;
  const Options& o = srv_.opts();
  rs->next_ping_ns = s.now_ns() + o.ping_interval_ns;
  if (rs->ping_out + 1 > o.ping_max) {
    log::error("%s - Stale Route Connection - Closing", route_prefix(c, *rs).c_str());
    reject(s, c, "-ERR 'Stale Connection'\r\n");
    return;
  }
  ++rs->ping_out;
  c->out.append("PING\r\n");
  s.mark_dirty(c);
}

void RouteManager::local_interest(Shard& s, uint32_t account, std::string_view subject,
                                  std::string_view queue, int before, int after) {
  if (before == after) return;
  const std::string& acc = srv_.accounts().at(account).name;
  std::string line;
  auto start = [&](const char* op) { line.append(op).append(acc).append(" ").append(subject); };
  if (queue.empty()) {
    if (before == 0 && after > 0) start("RS+ ");
    else if (before > 0 && after == 0) start("RS- ");
    if (!line.empty()) line.append("\r\n");
  } else if (after > 0) {
    start("RS+ ");
    line.append(" ").append(queue).append(" ").append(std::to_string(after)).append("\r\n");
  } else {
    start("RS- ");
    line.append(" ").append(queue).append("\r\n");
  }
  std::vector<std::tuple<int, uint32_t, uint32_t>> targets;
  {
    std::lock_guard<std::mutex> g(mu_);
    auto key = std::make_tuple(account, std::string(subject), std::string(queue));
    if (after > 0) local_[key] = after;
    else local_.erase(key);
    if (line.empty()) return;
    for (auto& [id, r] : routes_) targets.emplace_back(r.shard, r.slot, r.gen);
  }
  for (auto& [shard, slot, gen] : targets) s.send_to_conn(shard, slot, gen, line, {}, nullptr);
}

void RouteManager::lame_duck() {
  std::string line = our_info_line(false);
  std::vector<std::tuple<int, uint32_t, uint32_t>> targets;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (auto& [id, r] : routes_) targets.emplace_back(r.shard, r.slot, r.gen);
  }
  for (auto& [shard, slot, gen] : targets)
    srv_.shard(shard).post([line, slot = slot, gen = gen](Shard& s) {
      s.send_to_conn(s.id(), slot, gen, line, {}, nullptr);
    });
}

void RouteManager::reload_routes(const std::vector<std::string>& routes) {
  std::vector<std::string> added, removed;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (const auto& u : routes)
      if (std::find(explicit_urls_.begin(), explicit_urls_.end(), u) == explicit_urls_.end()) added.push_back(u);
    for (const auto& u : explicit_urls_)
      if (std::find(routes.begin(), routes.end(), u) == routes.end()) removed.push_back(u);
    explicit_urls_ = routes;
    for (const auto& u : added) removed_urls_.erase(u);
    for (const auto& u : removed) {
      removed_urls_.insert(u);
      dialing_.erase(u);
      dials_.erase(std::remove_if(dials_.begin(), dials_.end(), [&](const Dial& d) { return d.url == u; }),
                   dials_.end());
    }
    configured_.clear();
    for (const auto& u : routes) {
      std::string h;
      int p;
      if (parse_url(u, h, p)) configured_.insert(h + ":" + std::to_string(p));
    }
  }
  for (const auto& u : added) schedule_dial(u, true, 0, -1);
  if (removed.empty()) return;
  // The routes we dialed for a removed URL close on their own shards.
  for (int i = 0; i < srv_.nshards(); ++i)
    srv_.shard(i).post([removed](Shard& s) {
      s.for_each_conn([&](Conn* c) {
        auto* rs = static_cast<RouteState*>(c->route);
        if (!rs || !rs->solicited) return;
        if (std::find(removed.begin(), removed.end(), rs->dial_url) == removed.end()) return;
        rs->removed = true;
        rs->explicit_route = false;
        s.close_conn(c, proto::ErrCode::None);
      });
    });
}

bool RouteManager::route_view(const Conn* c, bool with_subs, RouteView& out) {
  auto* rs = static_cast<const RouteState*>(c->route);
  if (!rs || !rs->registered) return false;
  out.remote_id = rs->remote_id;
  out.solicited = rs->solicited;
  out.configured = rs->explicit_route;
  out.num_subs = rs->remote_keys.size();
  if (with_subs)
    for (const auto& [acc, subject, queue] : rs->remote_keys) out.subs.emplace_back(acc, subject, queue);
  return true;
}

void RouteManager::forward_to_route(Shard& s, const SubRef& route, uint32_t account, const proto::MsgArgs& m,
                                    std::string_view payload, Block* storage, bool plain,
                                    const std::vector<std::string_view>& queues) {
  (void)plain;
  bool hdrs = (route.flags & kSubHeaders) && m.hdr > 0;
  int64_t skip = (m.hdr > 0 && !hdrs) ? m.hdr : 0;
  char buf[1024];
  std::string big;
  const std::string& acc = srv_.accounts().at(account).name;
  // A JetStream delivery shows another subject than it is matched on: as
  // nats, "<reply>@<shown>" (the receiving server splits it off again).
  std::string reply_at;
  std::string_view reply = m.reply;
  if (!m.shown_subject.empty() && m.reply.starts_with("$JS.ACK.")) {
    reply_at.assign(m.reply).append("@").append(m.shown_subject);
    reply = reply_at;
  }
  size_t need = acc.size() + m.subject.size() + reply.size() + 64;
  for (auto q : queues) need += q.size() + 1;
  char* p = buf;
  if (need > sizeof(buf)) {
    big.resize(need);
    p = big.data();
  }
  char* start = p;
  auto put = [&](std::string_view v) {
    std::memcpy(p, v.data(), v.size());
    p += v.size();
  };
  put(hdrs ? "HMSG " : "RMSG ");
  put(acc);
  *p++ = ' ';
  put(m.subject);
  if (!queues.empty()) {
    if (!reply.empty()) {
      put(" + ");
      put(reply);
    } else {
      put(" |");
    }
    for (auto q : queues) {
      *p++ = ' ';
      put(q);
    }
  } else if (!reply.empty()) {
    *p++ = ' ';
    put(reply);
  }
  *p++ = ' ';
  // Sizes we do not rewrite go out with the publisher's digits, as nats does.
  std::string hdr_digits = m.hdr_text.empty() ? std::to_string(m.hdr) : std::string(m.hdr_text);
  std::string size_digits = (skip || m.size_text.empty()) ? std::to_string(m.size - skip)
                                                          : std::string(m.size_text);
  if (hdrs) {
    put(hdr_digits);
    *p++ = ' ';
  }
  put(size_digits);
  put("\r\n");
  // The payload is followed by its CRLF both in receive buffers and blocks;
  // the server's own publishes get one here.
  std::string terminated;
  std::string_view body(payload.data() + skip, static_cast<size_t>(m.size - skip) + 2);
  if (m.bare_payload) {
    terminated.assign(payload.substr(static_cast<size_t>(skip))).append("\r\n");
    body = terminated;
    storage = nullptr;
  }
  s.send_to_conn(route.shard, route.slot, route.gen, std::string_view(start, static_cast<size_t>(p - start)),
                 body, storage, m.size - skip);
}

void RouteManager::refresh_client_urls() {
  // nats keeps a counted set of the client URLs its routes announced. Only
  // when that set changes does it rebuild its own list, as its own URLs
  // followed by the set, and tell its clients. So a node with no route, or
  // whose routes announced nothing, advertises no connect_urls at all; once
  // it has advertised, losing its last route leaves its own URLs listed (the
  // update that lets clients prune servers that are gone). With
  // no_advertise it never touches the list.
  if (co_.no_advertise) return;
  {
    // Built and stored under one lock, so racing route changes cannot leave
    // a stale list behind.
    std::lock_guard<std::mutex> g(mu_);
    std::vector<std::string> others;
    for (auto& id : route_order_) {
      auto it = routes_.find(id);
      if (it == routes_.end()) continue;
      for (auto& u : it->second.connect_urls)
        if (std::find(others.begin(), others.end(), u) == others.end()) others.push_back(u);
    }
    std::set<std::string> now(others.begin(), others.end());
    if (now == advertised_) return;
    advertised_ = std::move(now);
    std::vector<std::string> urls = own_client_urls_;
    for (auto& u : others)
      if (std::find(urls.begin(), urls.end(), u) == urls.end()) urls.push_back(u);
    srv_.set_connect_urls(urls, own_client_urls_.size());
  }
  for (int i = 0; i < srv_.nshards(); ++i) {
    srv_.shard(i).post([](Shard& s) {
      s.for_each_conn([&](Conn* c) {
        if (c->type == ConnType::Client && c->protocol >= 1 && c->first_pong_sent) s.send_info_to(c);
      });
    });
  }
}

namespace cluster {

static RouteManager* g_manager = nullptr;

bool start_cluster(Server& srv, std::string& err) {
  const ClusterOptions& co = srv.opts().cluster;
  if (!co.enabled && co.routes.empty()) return true;
  g_manager = new RouteManager(srv);
  if (!g_manager->start(err)) return false;
  return true;
}

void stop_cluster(Server& srv) {
  (void)srv;
  if (g_manager) g_manager->stop();
}

}  // namespace cluster
}  // namespace ringnats
