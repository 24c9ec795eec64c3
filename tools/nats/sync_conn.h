// A small blocking NATS client for the `nats` CLI: handshake, owned message
// copies, flush by PING/PONG, and failover across the -s list plus any
// connect_urls the server advertises, replaying subscriptions on reconnect.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "bench/client/net.h"

namespace ringnats::tools {

struct Msg {
  std::string subject;
  std::string sid;
  std::string reply;
  std::string headers;
  std::string data;
};

class SyncConn {
 public:
  SyncConn(std::vector<bench::ServerUrl> pool, std::string name);
  ~SyncConn();

  // Connects to the first server that answers; false with err set.
  bool connect(std::string& err);
  bool subscribe(const std::string& subject, const std::string& queue, uint64_t sid);
  bool unsubscribe(uint64_t sid, uint64_t max);
  bool publish(const std::string& subject, const std::string& reply, const std::string& data);
  // PING and wait for its PONG; messages arriving meanwhile are kept for next().
  bool flush(int timeout_ms, std::string& err);
  // 1: got a message, 0: timeout, -1: connection lost and failover failed.
  int next(Msg& m, int timeout_ms);

  // Called with the reason when the connection drops (before failover).
  std::function<void(const std::string&)> on_disconnect;
  const bench::ServerUrl& connected_url() const { return pool_[cur_]; }

 private:
  bool handshake(std::string& err);
  bool send_all(const std::string& s);
  // Reads and dispatches; returns false when the socket is gone.
  bool read_some(int timeout_ms, bool& timed_out);
  bool failover();
  void learn_urls(const std::string& info);

  struct Sub { std::string subject, queue; uint64_t sid; uint64_t max; };
  std::vector<bench::ServerUrl> pool_;
  size_t cur_ = 0;
  std::string name_;
  int fd_ = -1;
  std::string rbuf_;
  std::deque<Msg> pending_;
  uint64_t pongs_ = 0;
  std::string last_err_;
  std::vector<Sub> subs_;
};

}  // namespace ringnats::tools
