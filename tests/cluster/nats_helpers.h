// libnats helpers for cluster tests: owned handles, connecting to a node, and
// probing until interest has spread over the routes (bounded, never a sleep).
#pragma once

#include <nats/nats.h>

#include <memory>
#include <string>
#include <vector>

#include "cluster_harness.h"

namespace cltest {

struct ConnDel {
  void operator()(natsConnection* c) const { natsConnection_Destroy(c); }
};
struct SubDel {
  void operator()(natsSubscription* s) const { natsSubscription_Destroy(s); }
};
struct MsgDel {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
struct OptsDel {
  void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};
using ConnPtr = std::unique_ptr<natsConnection, ConnDel>;
using SubPtr = std::unique_ptr<natsSubscription, SubDel>;
using MsgPtr = std::unique_ptr<natsMsg, MsgDel>;
using OptsPtr = std::unique_ptr<natsOptions, OptsDel>;

// Connects to one URL only (no reconnect); null and err on failure.
ConnPtr connect_to(const std::string& url, std::string* err = nullptr);
// Synchronous subscription (optionally in a queue group) with no pending limits.
SubPtr sub_sync(natsConnection* nc, const std::string& subject, const std::string& queue = "");

std::string msg_data(const natsMsg* m);
// Probe payloads start with this; real test data never does.
inline constexpr const char* kProbe = "probe:";
bool is_probe(const natsMsg* m);

// The next message that is not a probe, or null after timeout_ms.
MsgPtr next_real(natsSubscription* sub, int timeout_ms = 5000);

// Publishes probes on `subject` from `pub` until every subscription in subs
// has received one: the publisher's server then knows their interest.
bool await_interest(natsConnection* pub, const std::string& subject,
                    const std::vector<natsSubscription*>& subs, int timeout_ms = kConvergeMs);

// Makes sure libnats is opened once for the process.
void nats_init();

}  // namespace cltest
