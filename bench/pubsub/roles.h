// The four kinds of benchmark connection (publisher, subscriber, requester,
// replier) on the io_uring client runtime. The state they share with the
// main thread (Shared, ClientStats) and its concurrency rules are in stats.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/client/uring_client.h"
#include "bench/pubsub/stats.h"

namespace ringnats::bench {

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
