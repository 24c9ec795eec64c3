// pubsub's JetStream roles, on the plain NATS protocol (no JetStream client
// library): an acked publisher (PUB with a reply inbox, a window of acks
// outstanding, publish-ack latency per message) and a pull consumer (batches
// from $JS.API.CONSUMER.MSG.NEXT, each message acked). Client 0 of a run
// creates the stream (jspub) or the durable consumer (jsfetch) first; the
// others wait for Shared::js_ready.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/pubsub/roles.h"

namespace ringnats::bench {

class JsPubConn final : public BenchConn {
 public:
  JsPubConn(int fd, Shared& sh, ClientStats& st);
  void on_turn(uint64_t now) override;
  void on_msg(const ServerEvent& ev) override;

 private:
  std::string inbox_, header_;
  std::vector<char> payload_;
  std::vector<uint64_t> sent_at_;  // ring of send times, window entries
  uint64_t sent_ = 0, acked_ = 0;
  bool setting_up_ = false;
  bool started_ = false;
};

class JsFetchConn final : public BenchConn {
 public:
  JsFetchConn(int fd, Shared& sh, ClientStats& st);
  void on_turn(uint64_t now) override;
  void on_msg(const ServerEvent& ev) override;

 private:
  void request(uint64_t now);
  std::string inbox_, next_subject_, next_body_;
  uint64_t consumed_ = 0, in_request_ = 0, asked_at_ = 0;
  bool setting_up_ = false;
  bool started_ = false;
  bool finished_ = false;
};

}  // namespace ringnats::bench
