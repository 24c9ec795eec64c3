// The four kinds of benchmark connection (publisher, subscriber, requester,
// replier) and the state they share with the coordinating main thread.
//
// Concurrency: each connection lives on one loop thread, which alone writes
// its ClientStats; counters the main thread polls (msgs, bytes, ready, done)
// are atomics written with relaxed stores by that single owner. The main
// thread flips Shared::go once every connection is ready and Shared::stop at
// the end; histograms and timestamps are read only after the threads joined.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/client/histogram.h"
#include "bench/client/uring_client.h"
#include "bench/pubsub/options.h"

namespace ringnats::bench {

struct Shared {
  const Options* opt = nullptr;
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> start_ns{0};
  std::atomic<uint64_t> deadline_ns{0};  // 0: count mode
};

enum class Role { Pub, Sub, Req, Rep };
const char* role_name(Role r);

struct ClientStats {
  Role role = Role::Pub;
  int id = 0;
  std::string subject;
  std::string server;
  uint64_t target = 0;            // publishers/requesters: messages to send (count mode)
  std::atomic<uint64_t> msgs{0};  // sent (pub/req) or received (sub/rep)
  std::atomic<uint64_t> bytes{0};
  std::atomic<bool> ready{false};
  std::atomic<bool> done{false};  // pub/req: finished and flushed
  std::atomic<bool> failed{false};
  uint64_t first_ns = 0;
  uint64_t last_ns = 0;
  Histogram hist;
  std::string error;
};

// Common handshake: CONNECT+PING (and role setup) is queued at construction;
// `ready` flips when all PINGs sent so far are answered.
class BenchConn : public Conn {
 public:
  BenchConn(int fd, Shared& sh, ClientStats& st) : Conn(fd), sh_(sh), st_(st) {}
  void on_err(std::string_view text) override;
  void on_closed(int err) override;

 protected:
  bool check_ready();
  Shared& sh_;
  ClientStats& st_;
};

class PubConn final : public BenchConn {
 public:
  PubConn(int fd, Shared& sh, ClientStats& st);
  void on_turn(uint64_t now) override;
  void on_pong() override;

 private:
  std::string header_;   // "PUB subject size\r\n", fixed for the run
  std::vector<char> payload_;
  uint64_t sent_ = 0;
  bool started_ = false;
  bool finishing_ = false;
};

class SubConn final : public BenchConn {
 public:
  SubConn(int fd, Shared& sh, ClientStats& st, const std::string& queue);
  void on_turn(uint64_t now) override;
  void on_msg(const ServerEvent& ev) override;

 private:
  uint64_t n_ = 0;
  uint64_t bytes_ = 0;
};

class ReqConn final : public BenchConn {
 public:
  ReqConn(int fd, Shared& sh, ClientStats& st);
  void on_turn(uint64_t now) override;
  void on_msg(const ServerEvent& ev) override;

 private:
  void send_one(uint64_t now);
  std::string inbox_;
  std::vector<char> payload_;
  uint64_t sent_ = 0;
  uint64_t t0_ = 0;
  bool waiting_ = false;
  bool started_ = false;
};

class RepConn final : public BenchConn {
 public:
  RepConn(int fd, Shared& sh, ClientStats& st, const std::string& queue);
  void on_turn(uint64_t now) override;
  void on_msg(const ServerEvent& ev) override;

 private:
  uint64_t n_ = 0;
};

}  // namespace ringnats::bench
