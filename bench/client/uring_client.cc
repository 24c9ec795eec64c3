// io_uring plumbing for the benchmark client: ring setup with fallbacks,
// arming recv/send per connection, and completion dispatch. user_data packs
// the Conn pointer with the op kind in the low bits (Conn is 8-byte aligned).

#include "bench/client/uring_client.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace ringnats::bench {

namespace {
constexpr uint64_t kRecv = 1;
constexpr uint64_t kSend = 2;
constexpr uint64_t kTagMask = 7;

char* fmt_u64(char* p, uint64_t v) {
  char tmp[24];
  int n = 0;
  do { tmp[n++] = static_cast<char>('0' + v % 10); v /= 10; } while (v);
  while (n) *p++ = tmp[--n];
  return p;
}
}  // namespace

// ---- Buf ----

Buf::~Buf() { free(data_); }

void Buf::reserve(size_t cap) {
  if (cap <= cap_) return;
  char* p = static_cast<char*>(realloc(data_, cap));
  if (p == nullptr) abort();
  data_ = p;
  cap_ = cap;
}

void Buf::append(const void* p, size_t n) {
  memcpy(tail(n), p, n);
  len_ += n;
}

void Buf::consume_front(size_t n) {
  if (n >= len_) { len_ = 0; return; }
  memmove(data_, data_ + n, len_ - n);
  len_ -= n;
}

void Buf::swap(Buf& o) {
  std::swap(data_, o.data_);
  std::swap(len_, o.len_);
  std::swap(cap_, o.cap_);
}

// ---- Conn ----

Conn::Conn(int fd, size_t rbuf_bytes) : fd_(fd) {
  rbuf_.reserve(rbuf_bytes);
  out_.reserve(64 * 1024);
  inflight_.reserve(64 * 1024);
}

Conn::~Conn() {
  if (fd_ >= 0) close(fd_);
}

void Conn::send_connect(std::string_view name, bool echo) {
  std::string s = "CONNECT {\"verbose\":false,\"pedantic\":false,\"tls_required\":false,\"name\":\"";
  s.append(name);
  s += "\",\"lang\":\"cpp\",\"version\":\"0.1.0\",\"protocol\":1,\"echo\":";
  s += echo ? "true" : "false";
  s += ",\"headers\":true,\"no_responders\":true}\r\n";
  out_.append(s);
  ping();
}

void Conn::ping() {
  out_.append("PING\r\n", 6);
  ++pings_;
}

void Conn::sub(std::string_view subject, std::string_view queue, uint64_t sid) {
  char* p = out_.tail(subject.size() + queue.size() + 32);
  char* s = p;
  memcpy(p, "SUB ", 4); p += 4;
  memcpy(p, subject.data(), subject.size()); p += subject.size();
  *p++ = ' ';
  if (!queue.empty()) { memcpy(p, queue.data(), queue.size()); p += queue.size(); *p++ = ' '; }
  p = fmt_u64(p, sid);
  *p++ = '\r'; *p++ = '\n';
  out_.commit(static_cast<size_t>(p - s));
}

void Conn::unsub(uint64_t sid, uint64_t max) {
  char* p = out_.tail(64);
  char* s = p;
  memcpy(p, "UNSUB ", 6); p += 6;
  p = fmt_u64(p, sid);
  if (max) { *p++ = ' '; p = fmt_u64(p, max); }
  *p++ = '\r'; *p++ = '\n';
  out_.commit(static_cast<size_t>(p - s));
}

void Conn::pub(std::string_view subject, std::string_view reply, const void* payload, size_t n) {
  char* p = out_.tail(subject.size() + reply.size() + n + 40);
  char* s = p;
  memcpy(p, "PUB ", 4); p += 4;
  memcpy(p, subject.data(), subject.size()); p += subject.size();
  *p++ = ' ';
  if (!reply.empty()) { memcpy(p, reply.data(), reply.size()); p += reply.size(); *p++ = ' '; }
  p = fmt_u64(p, n);
  *p++ = '\r'; *p++ = '\n';
  if (n) { memcpy(p, payload, n); p += n; }
  *p++ = '\r'; *p++ = '\n';
  out_.commit(static_cast<size_t>(p - s));
}

void Conn::mark_closed(int err) {
  if (closed_) return;
  closed_ = true;
  close_err_ = err;
  on_closed(err);
}

void Conn::handle_input() {
  size_t off = 0;
  const size_t len = rbuf_.size();
  const char* base = rbuf_.data();
  ServerEvent ev;
  while (off < len && !closed_) {
    ParseResult r = parse_server_op(base + off, len - off, ev);
    if (r.status == ParseStatus::NeedMore) {
      if (r.need > rbuf_.capacity()) {
        rbuf_.consume_front(off);
        off = 0;
        rbuf_.reserve(r.need);
        return;
      }
      break;
    }
    if (r.status == ParseStatus::Error) {
      fprintf(stderr, "client: protocol error from server: %.*s\n",
              static_cast<int>(std::min<size_t>(len - off, 60)), base + off);
      mark_closed(-EPROTO);
      return;
    }
    off += r.consumed;
    switch (ev.op) {
      case ServerOp::Msg: on_msg(ev); break;
      case ServerOp::Ping: out_.append("PONG\r\n", 6); break;
      case ServerOp::Pong: ++pongs_; on_pong(); break;
      case ServerOp::Info: on_info(ev.text); break;
      case ServerOp::Err: on_err(ev.text); break;
      case ServerOp::Ok: break;
    }
  }
  rbuf_.consume_front(off);
}

// ---- Loop ----

Loop::~Loop() {
  if (ready_) io_uring_queue_exit(&ring_);
}

int Loop::init(unsigned max_conns) {
  unsigned entries = 64;
  while (entries < max_conns * 2 + 8) entries *= 2;
  io_uring_params p{};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  int r = io_uring_queue_init_params(entries, &ring_, &p);
  if (r < 0) {
    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_COOP_TASKRUN;
    r = io_uring_queue_init_params(entries, &ring_, &p);
  }
  if (r < 0) {
    memset(&p, 0, sizeof p);
    r = io_uring_queue_init_params(entries, &ring_, &p);
  }
  if (r < 0) return r;
  ready_ = true;
  return 0;
}

size_t Loop::live() const {
  size_t n = 0;
  for (const Conn* c : conns_) n += c->closed() ? 0 : 1;
  return n;
}

io_uring_sqe* Loop::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  if (s == nullptr) {
    io_uring_submit(&ring_);
    s = io_uring_get_sqe(&ring_);
  }
  return s;
}

void Loop::arm(Conn* c) {
  if (c->closed_) return;
  if (!c->send_armed_ && c->out_.size() > 0) {
    c->inflight_.swap(c->out_);
    c->out_.clear();
    c->inflight_off_ = 0;
    io_uring_sqe* s = sqe();
    io_uring_prep_send(s, c->fd_, c->inflight_.data(), c->inflight_.size(), MSG_NOSIGNAL);
    io_uring_sqe_set_data64(s, reinterpret_cast<uint64_t>(c) | kSend);
    c->send_armed_ = true;
  }
  if (!c->recv_armed_) {
    Buf& b = c->rbuf_;
    if (b.capacity() - b.size() < 4096) b.reserve(b.capacity() * 2);
    io_uring_sqe* s = sqe();
    io_uring_prep_recv(s, c->fd_, b.data() + b.size(), b.capacity() - b.size(), 0);
    io_uring_sqe_set_data64(s, reinterpret_cast<uint64_t>(c) | kRecv);
    c->recv_armed_ = true;
  }
}

void Loop::complete(io_uring_cqe* cqe) {
  const uint64_t ud = io_uring_cqe_get_data64(cqe);
  Conn* c = reinterpret_cast<Conn*>(ud & ~kTagMask);
  const int res = cqe->res;
  if ((ud & kTagMask) == kRecv) {
    c->recv_armed_ = false;
    if (res > 0) {
      c->rbuf_.commit(static_cast<size_t>(res));
      c->handle_input();
    } else if (res != -EINTR && res != -EAGAIN && res != -ENOBUFS) {
      c->mark_closed(res == 0 ? 0 : res);
    }
    return;
  }
  // send
  if (res < 0) {
    if (res == -EINTR || res == -EAGAIN) {
      c->send_armed_ = false;  // re-armed from the same offset below
    } else {
      c->send_armed_ = false;
      c->mark_closed(res);
      return;
    }
  } else {
    c->inflight_off_ += static_cast<size_t>(res);
  }
  if (c->inflight_off_ < c->inflight_.size()) {
    io_uring_sqe* s = sqe();
    io_uring_prep_send(s, c->fd_, c->inflight_.data() + c->inflight_off_,
                       c->inflight_.size() - c->inflight_off_, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(s, reinterpret_cast<uint64_t>(c) | kSend);
    c->send_armed_ = true;
    return;
  }
  c->inflight_.clear();
  c->inflight_off_ = 0;
  c->send_armed_ = false;
}

void Loop::turn(uint64_t timeout_ns) {
  const uint64_t now = [] { timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec); }();
  for (Conn* c : conns_) {
    if (c->closed_) continue;
    c->on_turn(now);
    arm(c);
  }
  io_uring_cqe* cqe = nullptr;
  if (timeout_ns == 0) {
    io_uring_submit(&ring_);
    // DEFER_TASKRUN runs task work only when we enter the kernel to wait.
    io_uring_get_events(&ring_);
  } else {
    __kernel_timespec ts{};
    ts.tv_sec = static_cast<long long>(timeout_ns / 1000000000ull);
    ts.tv_nsec = static_cast<long long>(timeout_ns % 1000000000ull);
    io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
  }
  unsigned head;
  unsigned n = 0;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    complete(cqe);
    ++n;
  }
  io_uring_cq_advance(&ring_, n);
}

}  // namespace ringnats::bench
