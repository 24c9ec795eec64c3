// Blocking socket implementation of SyncConn. Reconnect policy follows the
// usual NATS client defaults: walk the server pool, wait 2 s between full
// passes, give up after 60 passes.

#include "tools/nats/sync_conn.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "bench/client/server_parser.h"

namespace ringnats::tools {

using bench::ServerUrl;

SyncConn::SyncConn(std::vector<ServerUrl> pool, std::string name) : pool_(std::move(pool)), name_(std::move(name)) {}

SyncConn::~SyncConn() {
  if (fd_ >= 0) close(fd_);
}

bool SyncConn::send_all(const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

void SyncConn::learn_urls(const std::string& info) {
  const size_t k = info.find("\"connect_urls\"");
  if (k == std::string::npos) return;
  const size_t lb = info.find('[', k), rb = info.find(']', k);
  if (lb == std::string::npos || rb == std::string::npos || rb < lb) return;
  size_t p = lb;
  while (true) {
    size_t q1 = info.find('"', p + 1);
    if (q1 == std::string::npos || q1 > rb) break;
    size_t q2 = info.find('"', q1 + 1);
    if (q2 == std::string::npos || q2 > rb) break;
    std::vector<ServerUrl> got;
    std::string err;
    if (bench::parse_server_list(info.substr(q1 + 1, q2 - q1 - 1), got, err)) {
      bool known = false;
      for (const ServerUrl& u : pool_) known = known || (u.host == got[0].host && u.port == got[0].port);
      if (!known) pool_.push_back(got[0]);
    }
    p = q2;
  }
}

bool SyncConn::read_some(int timeout_ms, bool& timed_out) {
  timed_out = false;
  pollfd pfd{fd_, POLLIN, 0};
  int r = poll(&pfd, 1, timeout_ms);
  if (r == 0) { timed_out = true; return true; }
  if (r < 0) { if (errno == EINTR) { timed_out = true; return true; } last_err_ = strerror(errno); return false; }
  char tmp[65536];
  ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
  if (n == 0) { last_err_ = "EOF"; return false; }
  if (n < 0) { if (errno == EINTR) return true; last_err_ = strerror(errno); return false; }
  rbuf_.append(tmp, static_cast<size_t>(n));
  size_t off = 0;
  bench::ServerEvent ev;
  while (off < rbuf_.size()) {
    bench::ParseResult pr = bench::parse_server_op(rbuf_.data() + off, rbuf_.size() - off, ev);
    if (pr.status == bench::ParseStatus::NeedMore) break;
    if (pr.status == bench::ParseStatus::Error) { last_err_ = "protocol error"; return false; }
    off += pr.consumed;
    switch (ev.op) {
      case bench::ServerOp::Msg:
        pending_.push_back(Msg{std::string(ev.subject), std::string(ev.sid), std::string(ev.reply),
                               std::string(ev.headers), std::string(ev.payload)});
        break;
      case bench::ServerOp::Ping: if (!send_all("PONG\r\n")) return false; break;
      case bench::ServerOp::Pong: ++pongs_; break;
      case bench::ServerOp::Info: learn_urls(std::string(ev.text)); break;
      case bench::ServerOp::Err: last_err_ = std::string(ev.text); break;
      case bench::ServerOp::Ok: break;
    }
  }
  rbuf_.erase(0, off);
  return true;
}

bool SyncConn::handshake(std::string& err) {
  rbuf_.clear();
  pongs_ = 0;
  last_err_.clear();
  std::string s = "CONNECT {\"verbose\":false,\"pedantic\":false,\"tls_required\":false,\"name\":\"" + name_ +
                  "\",\"lang\":\"cpp\",\"version\":\"0.1.0\",\"protocol\":1,\"echo\":true,\"headers\":true,"
                  "\"no_responders\":true}\r\n";
  for (const Sub& sb : subs_) {
    s += "SUB " + sb.subject + " " + (sb.queue.empty() ? "" : sb.queue + " ") + std::to_string(sb.sid) + "\r\n";
    if (sb.max) s += "UNSUB " + std::to_string(sb.sid) + " " + std::to_string(sb.max) + "\r\n";
  }
  s += "PING\r\n";
  if (!send_all(s)) { err = strerror(errno); return false; }
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (pongs_ == 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
    if (left <= 0) { err = "timeout"; return false; }
    bool to = false;
    if (!read_some(static_cast<int>(left), to)) { err = last_err_.empty() ? "connection closed" : last_err_; return false; }
    if (!last_err_.empty()) { err = last_err_; return false; }
  }
  return true;
}

bool SyncConn::connect(std::string& err) {
  for (size_t i = 0; i < pool_.size(); ++i) {
    int fd = bench::dial_tcp(pool_[i], 2000);
    if (fd < 0) continue;
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
    cur_ = i;
    std::string herr;
    if (handshake(herr)) return true;
    err = herr;
  }
  if (err.empty()) err = "no servers available for connection";
  return false;
}

bool SyncConn::failover() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  for (int pass = 0; pass < 60; ++pass) {
    // Try the other servers first, the one that just failed last.
    for (size_t k = 1; k <= pool_.size(); ++k) {
      const size_t i = (cur_ + k) % pool_.size();
      int fd = bench::dial_tcp(pool_[i], 2000);
      if (fd < 0) continue;
      fd_ = fd;
      cur_ = i;
      std::string herr;
      if (handshake(herr)) return true;
      close(fd_);
      fd_ = -1;
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  return false;
}

bool SyncConn::subscribe(const std::string& subject, const std::string& queue, uint64_t sid) {
  subs_.push_back(Sub{subject, queue, sid, 0});
  return send_all("SUB " + subject + " " + (queue.empty() ? "" : queue + " ") + std::to_string(sid) + "\r\n");
}

bool SyncConn::unsubscribe(uint64_t sid, uint64_t max) {
  for (auto it = subs_.begin(); it != subs_.end(); ++it) {
    if (it->sid != sid) continue;
    if (max) it->max = max; else subs_.erase(it);
    break;
  }
  std::string s = "UNSUB ";
  s += std::to_string(sid);
  if (max) {
    s += ' ';
    s += std::to_string(max);
  }
  s += "\r\n";
  return send_all(s);
}

bool SyncConn::publish(const std::string& subject, const std::string& reply, const std::string& data) {
  std::string s = "PUB " + subject + " " + (reply.empty() ? "" : reply + " ") + std::to_string(data.size()) + "\r\n";
  s += data;
  s += "\r\n";
  return send_all(s);
}

bool SyncConn::flush(int timeout_ms, std::string& err) {
  const uint64_t want = pongs_ + 1;
  if (!send_all("PING\r\n")) { err = strerror(errno); return false; }
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (pongs_ < want) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
    if (left <= 0) { err = "timeout"; return false; }
    bool to = false;
    if (!read_some(static_cast<int>(left), to)) { err = last_err_; return false; }
  }
  return true;
}

int SyncConn::next(Msg& m, int timeout_ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (!pending_.empty()) {
      m = std::move(pending_.front());
      pending_.pop_front();
      if (!subs_.empty()) {  // honour auto-unsubscribe counts for replay
        for (auto it = subs_.begin(); it != subs_.end(); ++it) {
          if (std::to_string(it->sid) != m.sid || it->max == 0) continue;
          if (--it->max == 0) subs_.erase(it);
          break;
        }
      }
      return 1;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
    if (timeout_ms >= 0 && left <= 0) return 0;
    bool to = false;
    if (!read_some(timeout_ms < 0 ? 1000 : static_cast<int>(left), to)) {
      if (on_disconnect) on_disconnect(last_err_.empty() ? "EOF" : last_err_);
      if (!failover()) return -1;
    }
  }
}

}  // namespace ringnats::tools
