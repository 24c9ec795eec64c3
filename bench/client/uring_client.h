// A single-threaded io_uring event loop that drives many NATS client
// connections: one recv and at most one send in flight per socket, output
// appended into a buffer and flushed once per loop turn, input parsed in place.
//
// Loop turn (Loop::turn), in order:
//  1. every live Conn gets on_turn(now) to produce output (publishers fill here);
//  2. each Conn with queued bytes and no send in flight gets one send; each Conn
//     without a recv in flight gets one;
//  3. submit and wait (bounded) for completions, then dispatch all of them:
//     recv -> parse ops -> on_msg/on_pong/...; send -> next chunk or idle.
// Conns are owned by the caller and must outlive the Loop's pending ops
// (destroy the Loop first: io_uring_queue_exit cancels them).
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "bench/client/server_parser.h"

namespace ringnats::bench {

// Growable byte buffer without zero-fill or per-append allocation.
class Buf {
 public:
  Buf() = default;
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
  ~Buf();
  void reserve(size_t cap);
  // Pointer to n writable bytes at the end; follow with commit(k <= n).
  char* tail(size_t n) {
    if (len_ + n > cap_) reserve(grow_to(len_ + n));
    return data_ + len_;
  }
  void commit(size_t n) { len_ += n; }
  void append(const void* p, size_t n);
  void append(std::string_view s) { append(s.data(), s.size()); }
  void consume_front(size_t n);  // drop n bytes from the front (memmove)
  void clear() { len_ = 0; }
  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t size() const { return len_; }
  size_t capacity() const { return cap_; }
  void swap(Buf& o);

 private:
  size_t grow_to(size_t need) const { size_t c = cap_ ? cap_ : 4096; while (c < need) c *= 2; return c; }
  char* data_ = nullptr;
  size_t len_ = 0;
  size_t cap_ = 0;
};

class Loop;

class Conn {
 public:
  explicit Conn(int fd, size_t rbuf_bytes = 128 * 1024);
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  virtual ~Conn();

  // Events (called from Loop::turn on the loop's thread).
  virtual void on_msg(const ServerEvent& ev) { (void)ev; }
  virtual void on_pong() {}
  virtual void on_info(std::string_view json) { (void)json; }
  virtual void on_err(std::string_view text) { (void)text; }
  virtual void on_turn(uint64_t now) { (void)now; }
  virtual void on_closed(int err) { (void)err; }

  // Output: appended, sent at the next flush point.
  Buf& out() { return out_; }
  void append(std::string_view s) { out_.append(s); }
  void send_connect(std::string_view name, bool echo = true);  // CONNECT + PING
  void ping();
  void sub(std::string_view subject, std::string_view queue, uint64_t sid);
  void unsub(uint64_t sid, uint64_t max = 0);
  // Appends "PUB subject [reply] n\r\n<payload>\r\n".
  void pub(std::string_view subject, std::string_view reply, const void* payload, size_t n);

  size_t out_pending() const { return out_.size(); }
  bool send_busy() const { return send_armed_; }
  bool closed() const { return closed_; }
  int close_error() const { return close_err_; }
  uint64_t pings_sent() const { return pings_; }
  uint64_t pongs_received() const { return pongs_; }
  // True when every PING we sent has been answered (a flush round trip).
  bool synced() const { return pongs_ >= pings_; }
  int fd() const { return fd_; }

 private:
  friend class Loop;
  void handle_input();
  void mark_closed(int err);

  int fd_;
  Buf rbuf_;
  Buf out_;       // being filled
  Buf inflight_;  // being sent
  size_t inflight_off_ = 0;
  bool recv_armed_ = false;
  bool send_armed_ = false;
  bool closed_ = false;
  int close_err_ = 0;
  uint64_t pings_ = 0;
  uint64_t pongs_ = 0;
};

class Loop {
 public:
  Loop() = default;
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;
  ~Loop();
  // Sets up the ring (tries SINGLE_ISSUER|DEFER_TASKRUN, falls back). 0 or -errno.
  int init(unsigned max_conns);
  void add(Conn* c) { conns_.push_back(c); }
  // One loop turn; waits at most timeout_ns for the first completion.
  void turn(uint64_t timeout_ns);
  size_t live() const;

 private:
  io_uring_sqe* sqe();
  void arm(Conn* c);
  void complete(io_uring_cqe* cqe);

  io_uring ring_{};
  bool ready_ = false;
  std::vector<Conn*> conns_;
};

}  // namespace ringnats::bench
