// Publish/subscribe permissions as nats-server 2.9 enforces them (client.go
// canSubscribe, pubAllowedFullCheck, checkDenySub, allow_responses).
// CompiledPerms is immutable and shared by every connection of a user (any
// thread may read it). ConnPerms is one connection's state (caches, reply
// subjects it may answer): only the owning shard's thread touches it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "config/security_options.h"

namespace ringnats::auth {

struct CompiledPerms {
  struct Entry {
    std::string subject, queue;  // queue empty: a plain entry
  };
  // Publish: an allow list exists (may be empty: nothing allowed, the
  // allow_responses case) and/or a deny list.
  bool pub_allow_set = false;
  std::vector<std::string> pub_allow, pub_deny;
  bool sub_allow_set = false, sub_deny_set = false;
  std::vector<Entry> sub_allow, sub_deny;
  std::vector<std::string> sub_deny_raw;  // nats' darray: the deny strings as written
  bool responses = false;
  ResponsePermission resp;

  bool pub_restricted() const { return pub_allow_set || !pub_deny.empty(); }
};

std::shared_ptr<const CompiledPerms> compile(const Permissions& p);

// nats' Sublist.Match of `subject` (its tokens taken literally; an empty
// token matches nothing) against one pattern.
bool pattern_matches(std::string_view pattern, std::string_view subject);
// nats' subjectIsSubsetMatch(subject, test): everything `subject` matches,
// `test` matches too.
bool subset_match(std::string_view subject, std::string_view test);

class ConnPerms {
 public:
  // nats' bounds: the publish cache (maxPermCacheSize) and the reply
  // subjects tracked for allow_responses (replyPermLimit, then pruned).
  static constexpr size_t kPubCacheMax = 128;
  static constexpr size_t kDenyCacheMax = 128;
  static constexpr size_t kRepliesMax = 4096;

  explicit ConnPerms(std::shared_ptr<const CompiledPerms> p) : p_(std::move(p)) {}
  const CompiledPerms& compiled() const { return *p_; }

  // PUB/HPUB to `subject` at `now_ns`. One hash lookup once the cache knows
  // the subject; a response (allow_responses) is counted against its max.
  bool can_publish(std::string_view subject, int64_t now_ns);
  // SUB `subject` [queue]. May switch on the delivery filter (nats' mperms).
  bool can_subscribe(std::string_view subject, std::string_view queue);
  // A message on `subject` to this connection is dropped (nats' checkDenySub).
  bool deny_delivery(std::string_view subject) {
    return deny_filter_ && deny_delivery_slow(subject);
  }
  // A message with reply subject `reply` was delivered to this connection.
  void track_reply(std::string_view reply, int64_t now_ns) {
    if (p_->responses && !reply.empty()) track_reply_slow(reply, now_ns);
  }
  bool tracks_replies() const { return p_->responses; }

 private:
  bool deny_delivery_slow(std::string_view subject);
  void track_reply_slow(std::string_view reply, int64_t now_ns);
  bool pub_check(std::string_view subject) const;

  struct Resp {
    int64_t t = 0;
    int n = 0;
  };
  std::shared_ptr<const CompiledPerms> p_;
  absl::flat_hash_map<std::string, bool> pcache_;
  absl::flat_hash_map<std::string, bool> dcache_;
  absl::flat_hash_map<std::string, Resp> replies_;
  bool deny_filter_ = false;
};

}  // namespace ringnats::auth
