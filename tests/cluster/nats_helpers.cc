// libnats helpers for cluster tests: connecting, sync subscriptions and the
// probe loop that waits for interest to reach a publisher's server.
#include "nats_helpers.h"

#include <chrono>
#include <mutex>

namespace cltest {

void nats_init() {
  static std::once_flag once;
  std::call_once(once, [] { nats_Open(-1); });
}

ConnPtr connect_to(const std::string& url, std::string* err) {
  nats_init();
  natsOptions* o = nullptr;
  natsOptions_Create(&o);
  OptsPtr opts(o);
  natsOptions_SetURL(o, url.c_str());
  natsOptions_SetTimeout(o, 3000);
  natsOptions_SetAllowReconnect(o, false);
  natsConnection* nc = nullptr;
  natsStatus s = natsConnection_Connect(&nc, o);
  if (s != NATS_OK) {
    if (err) *err = url + ": " + natsStatus_GetText(s);
    return nullptr;
  }
  return ConnPtr(nc);
}

SubPtr sub_sync(natsConnection* nc, const std::string& subject, const std::string& queue) {
  natsSubscription* sub = nullptr;
  natsStatus s = queue.empty() ? natsConnection_SubscribeSync(&sub, nc, subject.c_str())
                               : natsConnection_QueueSubscribeSync(&sub, nc, subject.c_str(), queue.c_str());
  if (s != NATS_OK) return nullptr;
  natsSubscription_SetPendingLimits(sub, -1, -1);
  // The SUB must be at the server before anyone probes for it.
  natsConnection_FlushTimeout(nc, 5000);
  return SubPtr(sub);
}

std::string msg_data(const natsMsg* m) {
  return std::string(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
}

bool is_probe(const natsMsg* m) { return msg_data(m).rfind(kProbe, 0) == 0; }

MsgPtr next_real(natsSubscription* sub, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) left = 1;
    natsMsg* m = nullptr;
    if (natsSubscription_NextMsg(&m, sub, left) != NATS_OK) return nullptr;
    MsgPtr msg(m);
    if (!is_probe(m)) return msg;
    if (std::chrono::steady_clock::now() >= deadline) return nullptr;
  }
}

bool await_interest(natsConnection* pub, const std::string& subject,
                    const std::vector<natsSubscription*>& subs, int timeout_ms) {
  std::vector<bool> seen(subs.size(), false);
  int n = 0;
  return wait_until(
      [&] {
        std::string body = std::string(kProbe) + std::to_string(n++);
        natsConnection_Publish(pub, subject.c_str(), body.data(), static_cast<int>(body.size()));
        natsConnection_FlushTimeout(pub, 2000);
        bool all = true;
        for (size_t i = 0; i < subs.size(); ++i) {
          // Drain what is queued; only probes can be there at this stage.
          for (;;) {
            natsMsg* m = nullptr;
            if (natsSubscription_NextMsg(&m, subs[i], seen[i] ? 1 : 5) != NATS_OK) break;
            if (is_probe(m)) seen[i] = true;
            natsMsg_Destroy(m);
          }
          all = all && seen[i];
        }
        return all;
      },
      timeout_ms);
}

}  // namespace cltest
