// Matching and fan-out, the PUB hot path: on the publisher's shard, match the
// subject against every partition that can hold interest, pick one member
// per queue group, and write each delivery either straight into a local
// subscriber's outbound queue or into the batch bound for the subscriber's
// shard (the payload's one copy). The receiving side of those records, and
// queue redirects for members that left, are here too. Shard thread only;
// the index is read under QSBR (the turn keeps what it reads alive).
#pragma once

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "core/conn.h"
#include "core/rec.h"
#include "core/sublist.h"

namespace ringnats {

class Server;
class Shard;
class ConnTable;
class SubTable;
class ShardLinks;

// What a delivery to a queue member carries besides the message.
struct QueueTag {
  std::string_view group;  // empty: not a queue delivery
  uint64_t pub_cid = 0;
  uint8_t hops = 0;
  const uint64_t* visited = nullptr;  // QueueStash::visited to carry on, or none yet
};
// The (slot, gen) of a publishing client, as carried in Rec::ctl.
inline void* pub_tag(uint32_t slot, uint32_t gen) {
  return reinterpret_cast<void*>((uint64_t(slot) << 32) | gen);
}

// Splits "MSG subject sid [reply] size" / "HMSG subject sid [reply] hdr
// size", a line this server formatted, back into message arguments
// (queue_redirect.cc; also how an internal subscriber's record is read).
bool parse_msg_line(std::string_view line, proto::MsgArgs& m);

class Fanout {
 public:
  // A subscriber holding less than this references shared blocks (no copy);
  // past it, small deliveries are copied so it pins no one else's bytes.
  // At most a quarter of max_pending (ConnTable::ref_budget): a block is
  // charged whole, so pinned blocks alone must not reach the cut.
  static constexpr size_t kRefBudget = 1u << 20;

  Fanout(Server& srv, Shard& shard, int id, ConnTable& conns, SubTable& subs, ShardLinks& links,
         const int64_t& now);

  // A message from `src` (client or route). `storage` is the block a split
  // payload was assembled in (payload points into it), else null.
  // `route_queues`: the queue groups a routed message names.
  void publish(Conn* src, uint32_t account, const proto::MsgArgs& m, std::string_view payload, Block* storage,
               std::string_view route_queues = {});
  // The last publish reached a subscriber on this shard past half its
  // max_pending: the publisher should stall.
  bool reached_slow_subscriber() const { return stall_src_; }
  // ... or one on another shard: its pressure cell, else null.
  const std::atomic<bool>* reached_slow_peer() const { return stall_peer_; }
  // Our subscribers caught up: tell every shard asked to stall a publisher
  // since the last release that its stalls may end.
  void release_stalls();

  // Records from shard `src`: a delivery to a subscription, or to a
  // connection (cluster control traffic).
  void on_deliver(Rec& r, int src);
  void on_deliver_conn(Rec& r, int src);
  // `head` (+ payload, referenced from `storage` when given) to connection
  // (slot, gen) of shard `dst`, ordered with this shard's deliveries.
  // `msg_size` >= 0: it is a message of that size (counted as sent).
  void send_to_conn(int dst, uint32_t slot, uint32_t gen, std::string_view head,
                    std::string_view payload, Block* storage, int64_t msg_size = -1);

  // Whether anyone (a client, a route, an internal subscriber) is
  // subscribed to `subject` in `account` (control path; safe inside a publish).
  bool has_interest(uint32_t account, std::string_view subject);
  // Whether a route peer announced exactly `pattern` (not something that
  // matches it): how a peer's JetStream says it holds a stream.
  bool route_has_pattern(uint32_t account, std::string_view pattern);

  // Service imports (service_imports.cc). A response for request `seq` of
  // this shard, sent on by the shard it was published on.
  void relay_response(uint64_t seq, uint32_t account, const proto::MsgArgs& m, std::string_view payload);
  // Drops requests whose response threshold passed (shard timer).
  void expire_responses();

 private:
  void match_subject(uint32_t account, std::string_view subject);
  void deliver_local(uint32_t sub_slot, const SubRef& ref, const proto::MsgArgs& m,
                     std::string_view payload, Block* storage);
  void deliver_remote(const SubRef& ref, const proto::MsgArgs& m, std::string_view payload,
                      Block* storage, const QueueTag& q = {});
  void send_no_responders(Conn* c, std::string_view reply);
  // A record for an internal (JetStream) subscriber: parsed back and handed
  // to the JetStream hooks.
  void deliver_internal_record(Conn* c, const Sub& s, const Rec& r);
  // `m` as the importing subscriber behind shadow `r` sees it (its subject
  // mapped by the stream import). Valid until the next call.
  proto::MsgArgs& import_args(const SubRef& r, const proto::MsgArgs& m);
  void redirect_queue(const Rec& r);  // queue_redirect.cc
  void ask_stall(int src, void* tag);
  void count_out(Conn* c, uint64_t bytes) {
    ++c->out_msgs;
    c->out_bytes += bytes;
    c->last_activity_ns = now_;
  }

  // Service imports: the entries a publish matched, run once it is done
  // (one list per nesting depth: a request may itself match an import).
  static constexpr int kMaxServiceDepth = 4;
  static constexpr int64_t kDefaultResponseThresholdNs = 120 * 1'000'000'000LL;  // nats: 2 minutes
  void run_deferred(const proto::MsgArgs& m, std::string_view payload, Block* storage);
  void serve_request(const SubRef& r, const proto::MsgArgs& m, std::string_view payload, Block* storage,
                     const Conn* requester);
  void answer_response(uint32_t account, const proto::MsgArgs& m, std::string_view payload, Block* storage);
  void deliver_response(uint64_t seq, uint32_t account, const proto::MsgArgs& m, std::string_view payload,
                        Block* storage);
  struct PendingResponse {
    uint32_t importer = 0;
    uint32_t exporter = 0;  // the only account that may answer
    bool singleton = true;
    int64_t expires_ns = 0;
    int64_t threshold_ns = 0;
    std::string reply;  // the requester's own reply subject
  };
  std::vector<const SubRef*> deferred_[kMaxServiceDepth + 1];
  proto::MsgArgs service_args_[kMaxServiceDepth + 1];
  std::string service_reply_[kMaxServiceDepth + 1];
  std::string service_info_[kMaxServiceDepth + 1];
  std::string service_digits_[kMaxServiceDepth + 1][2];
  bool last_delivered_ = false;  // the last publish reached someone
  int deferred_depth_ = 0;
  std::mt19937_64 token_rng_{std::random_device{}()};  // response subject keys
  std::string stamped_head_;  // a chained request's headers, rewritten
  absl::flat_hash_map<uint64_t, PendingResponse> pending_;  // this shard's requests
  Conn internal_{ConnType::Client, 4096};  // the publisher of what imports forward
  proto::MsgArgs import_args_;
  std::string import_subject_;  // keeps its capacity: no allocation once warm
  uint32_t cur_account_ = 0;  // the publish being fanned out: its account
  Server& srv_;
  Shard& shard_;
  int id_;
  int nshards_;
  ConnTable& conns_;
  SubTable& subs_;
  ShardLinks& links_;
  const int64_t& now_;

  bool stall_src_ = false;       // this publish reached a subscriber past half
  const std::atomic<bool>* stall_peer_ = nullptr;  // ... on another shard
  Conn* cur_src_ = nullptr;
  void* cur_pub_tag_ = nullptr;  // cur_src_ as Rec::ctl (clients only)
  // Per source shard: the last publisher we asked it to stall, and when.
  std::vector<void*> stall_sent_tag_;
  std::vector<int64_t> stall_sent_ns_;
  bool asked_any_stall_ = false;

  // The sets a subject matched, kept per shard and reused while no set was
  // published or unpublished in the partitions it was matched in (as
  // nats-server keeps its sublist's results). Direct-mapped by the subject's
  // hash; an entry keeps its buffers' capacity.
  struct MatchMemo {
    uint64_t hash = 0;
    uint32_t account = UINT32_MAX;
    int nparts = 0;
    const SubPartition* parts[3] = {};
    uint64_t gens[3] = {};
    std::string subject;
    std::vector<const SubSet*> sets;
  };
  static constexpr size_t kMemoSlots = 256;
  std::vector<MatchMemo> memo_;

  // Scratch reused per message (no allocation on the hot path).
  std::vector<const SubSet*> match_;
  std::vector<std::string_view> tokens_;
  std::vector<const SubSet*> interest_match_;
  std::vector<std::string_view> interest_tokens_;
  struct GroupPick {
    std::string_view name;
    std::vector<const SubRef*> members;
    uint64_t total;
    const SubRef* chosen;  // picked in place (one set, no route members)
  };
  std::vector<GroupPick> groups_;
  size_t ngroups_ = 0;
  struct RouteTarget { const SubRef* ref; bool plain; std::vector<std::string_view> queues; };
  std::vector<RouteTarget> route_targets_;
  std::vector<const SubRef*> redirect_members_, redirect_remote_, redirect_untried_;
  std::vector<std::string_view> route_queue_names_;  // of the routed message being published
  // Queue picks: xorshift64*, a few cycles (std::minstd_rand divides).
  uint32_t next_random() {
    rng_state_ ^= rng_state_ >> 12;
    rng_state_ ^= rng_state_ << 25;
    rng_state_ ^= rng_state_ >> 27;
    return static_cast<uint32_t>((rng_state_ * 0x2545F4914F6CDD1DULL) >> 32);
  }
  uint64_t rng_state_;
};

}  // namespace ringnats
