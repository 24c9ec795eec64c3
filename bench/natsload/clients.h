// natsload's clients: one libnats connection each, in bench/pubsub's four
// roles, written as an application would write them.
//
// Threads: a publisher or requester runs run() on its own application thread;
// a subscriber or replier is driven by the callback of its async subscription,
// which libnats calls on that subscription's one delivery thread. Either way
// one thread writes the client's ClientStats counters (see stats.h). libnats'
// own threads report a connection the server closed or an asynchronous error;
// they only flip `failed` (whoever flips it first writes the error text).
#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <string>

#include "bench/natsload/options.h"
#include "bench/pubsub/stats.h"

namespace ringnats::bench {

class NatsClient {
 public:
  NatsClient(Shared& sh, const NatsOnly& n, ClientStats& st, std::string queue);
  ~NatsClient();
  NatsClient(const NatsClient&) = delete;
  NatsClient& operator=(const NatsClient&) = delete;

  // Connects to url; a subscriber or replier also subscribes and flushes, so
  // the server has its interest before ready. A requester makes one request
  // nobody answers, so libnats has its reply subscription before the run.
  bool connect(const std::string& url, std::string& err);
  // Publisher or requester: waits for go, sends until the count or the
  // deadline, flushes, marks done.
  void run();
  // After the run: subscription-level drops (there should be none: the
  // pending limits are off) become a failure; then the connection closes.
  void close();

 private:
  static void on_msg(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
  static void on_request(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
  static void on_closed(natsConnection* nc, void* closure);
  static void on_async_error(natsConnection* nc, natsSubscription* sub, natsStatus err, void* closure);
  void fail(const std::string& why);
  void publish_loop();
  void request_loop();

  Shared& sh_;
  const NatsOnly& nopt_;
  ClientStats& st_;
  std::string queue_;
  natsConnection* nc_ = nullptr;
  natsSubscription* sub_ = nullptr;
  uint64_t n_ = 0;      // callback roles: messages seen (owned by the delivery thread)
  uint64_t bytes_ = 0;
};

}  // namespace ringnats::bench
