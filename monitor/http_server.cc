// The monitoring listener (see http_server.h): cpp-httplib on a 4-thread pool,
// one pre-routing handler that maps the path to a renderer.
#include "monitor/http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <vector>

#include "core/go_text.h"

namespace ringnats::monitor {

namespace {

int64_t wall_now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Go's path.Clean for absolute paths.
std::string clean_path(const std::string& p) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string::npos) j = p.size();
    std::string seg = p.substr(i, j - i);
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!seg.empty() && seg != ".") {
      parts.push_back(seg);
    }
    i = j + 1;
  }
  std::string out;
  for (const auto& s : parts) out += "/" + s;
  return out.empty() ? "/" : out;
}

}  // namespace

std::string normalize_base_path(const std::string& p) {
  if (p.empty()) return "/";
  return clean_path(p[0] == '/' ? p : "/" + p);
}

Response serve(const std::string& base, const std::string& path, const Query& q,
               MonitorSource& src, const std::string& server_id, ReqStats& stats,
               std::mutex& stats_mu, int64_t now_ns) {
  std::string rel;
  if (base == "/") {
    rel = path;
  } else if (path == base) {
    rel = "/";
  } else if (path.size() > base.size() + 1 && path.compare(0, base.size(), base) == 0 &&
             path[base.size()] == '/') {
    rel = path.substr(base.size());
  } else {
    return not_found();
  }
  std::string key;
  Renderer r = find_endpoint(rel, key);
  if (!r || (rel == "/" && path != base)) return not_found();
  Ctx ctx{src, src.closed_conns(), server_id, now_ns, {}, base};
  {
    std::lock_guard<std::mutex> g(stats_mu);
    ++stats[key];
    ctx.req_stats = stats;
  }
  Response res = r(q, ctx);
  std::string cb = q_str(q, "callback");
  if (!cb.empty() && res.content_type == "application/json") {
    res.body = cb + "(" + res.body + ")";
    res.content_type = "application/javascript";
  }
  return res;
}

MonitorServer::MonitorServer() = default;

MonitorServer::~MonitorServer() { stop(); }

bool MonitorServer::start(const std::string& host_in, int port, const std::string& base_path,
                          MonitorSource& src, std::string& err, const TlsFiles* tls) {
  stop();
  src_ = &src;
  base_ = normalize_base_path(base_path);
  server_id_ = src.server().server_id;
  const std::string host = host_in.empty() ? "0.0.0.0" : host_in;
  if (tls) {
    auto ssl = std::make_unique<httplib::SSLServer>(tls->cert_file.c_str(), tls->key_file.c_str());
    if (!ssl->is_valid()) {
      err = "can't listen to the monitor port: TLS cert and key could not be loaded";
      return false;
    }
    svr_ = std::move(ssl);
  } else {
    svr_ = std::make_unique<httplib::Server>();
  }
  // A worker per connection while it reads its request: enough that a few
  // slow clients cannot take them all, and each read gives up after 2 s.
  svr_->new_task_queue = [] { return new httplib::ThreadPool(16); };
  svr_->set_keep_alive_timeout(2);
  svr_->set_read_timeout(2, 0);
  svr_->set_write_timeout(5, 0);
  // SO_REUSEADDR only, as Go's listener: httplib's default adds SO_REUSEPORT,
  // which would let a second server share (and steal from) our port.
  svr_->set_socket_options([](int fd) {
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  svr_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    Query q;
    for (const auto& [k, v] : req.params) q.emplace(k, v);  // emplace keeps the first
    Response r;
    try {
      r = serve(base_, req.path, q, *src_, server_id_, stats_, stats_mu_, wall_now_ns());
    } catch (const std::exception& e) {
      r = Response{500, std::string(e.what()) + "\n", "text/plain; charset=utf-8"};
    }
    res.status = r.status;
    if (r.status == 404) res.set_header("X-Content-Type-Options", "nosniff");
    res.set_content(r.body, r.content_type.c_str());
    return httplib::Server::HandlerResponse::Handled;
  });

  int want = port < 0 ? 0 : port;
  errno = 0;
  if (want == 0) {
    port_ = svr_->bind_to_any_port(host);
    if (port_ < 0) port_ = 0;
  } else {
    port_ = svr_->bind_to_port(host, want) ? want : 0;
  }
  if (port_ <= 0) {
    int e = errno;
    std::string why = e ? go_errno_text(e) : "cannot bind";
    err = "can't listen to the monitor port: listen tcp " + go_join_host_port(host, want) +
          ": bind: " + why;
    svr_.reset();
    return false;
  }
  thread_ = std::thread([s = svr_.get()] { s->listen_after_bind(); });
  // stop() is only effective once the accept loop runs; wait for it (bounded).
  for (int i = 0; i < 2000 && !svr_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  log_line_ = std::string(tls ? "Starting https monitor on " : "Starting http monitor on ") +
              go_join_host_port(host, port_);
  return true;
}

void MonitorServer::stop() {
  if (!svr_) return;
  svr_->stop();
  if (thread_.joinable()) thread_.join();
  svr_.reset();
}

ReqStats MonitorServer::req_stats() const {
  std::lock_guard<std::mutex> g(stats_mu_);
  return stats_;
}

}  // namespace ringnats::monitor
