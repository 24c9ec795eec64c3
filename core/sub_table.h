// The subscription slots of one shard and their lifetime. A SUB takes a slot
// and enters the index: this shard's partition directly, or through a SubAdd
// record to the shard owning its subject's partition (the connection then
// waits for the SubAck). Removal frees the slot and bumps its generation, so
// deliveries still in flight find it gone. Also applies the index changes
// peers send for this shard's partition. Only the owning shard's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/conn.h"
#include "core/rec.h"
#include "core/sublist.h"

namespace ringnats {

class Server;
class ShardLinks;

class SubTable {
 public:
  SubTable(Server& srv, int id, std::vector<std::unique_ptr<SubPartition>>& partitions, ShardLinks& links);

  // A new subscription of `c` (its sid is not taken), with its shadows in
  // the accounts it imports streams from. Returns how many index changes
  // went to peers: `c` must hold its input until that many SubAcks.
  // `extra_flags`: kSubClusterWide for an internal connection's cluster-wide interest.
  int subscribe(Conn* c, std::string_view subject, std::string_view queue, std::string_view sid,
                uint8_t extra_flags = 0);
  // Removes one of `c`'s subscriptions (and its sid from c->subs).
  void unsubscribe(Conn* c, uint32_t slot);
  // Removes all of `c`'s subscriptions (it is closing).
  void unsubscribe_all(Conn* c);

  // The live subscription (slot, gen), or null.
  Sub* at(uint32_t slot, uint32_t gen) {
    if (slot >= subs_.size()) return nullptr;
    Sub& s = subs_[slot];
    return s.alive && s.gen == gen ? &s : nullptr;
  }
  Sub& operator[](uint32_t slot) { return subs_[slot]; }
  // A local queue member that would accept a delivery now (checked before
  // it is picked, so a pick never lands on a member that drops it).
  bool can_take(const SubRef& r) const {
    if (r.slot >= subs_.size()) return false;
    const Sub& s = subs_[r.slot];
    return s.alive && s.gen == r.gen && !(s.max && s.delivered >= s.max);
  }
  // Counts one delivery if the subscription's auto-unsubscribe max allows.
  static bool take(Sub& s) {
    if (s.max && s.delivered >= s.max) return false;
    ++s.delivered;
    return true;
  }
  static bool exhausted(const Sub& s) { return s.max && s.delivered >= s.max; }

  template <class F>
  void for_each_live(F&& f) const {
    for (const Sub& s : subs_)
      if (s.alive) f(s);
  }

  // On this shard's thread at start: the service imports' entries and the
  // response catch-alls whose subjects this shard's partition holds.
  void install_account_entries();
  // The cluster layer started after the shards: tell it again about the
  // response catch-alls (their interest must reach every route).
  void announce_account_entries();
  // Likewise for this shard's internal subscriptions that are cluster-wide
  // (JetStream's streams, made before the routes existed).
  void announce_cluster_wide();

  // SubAdd / SubRemove records from peers: change this shard's partition
  // (and ack a SubAdd that asks for it).
  void apply(const Rec& r);

 private:
  uint32_t alloc();
  void remove(uint32_t slot);
  // One entry into (or out of) account `account`'s index, on the shard that
  // owns its subject. index_add returns 1 when a peer applies it (and acks).
  int index_add(uint32_t account, std::string_view subject, std::string_view queue, SubRef ref, Conn* c);
  void index_remove(uint32_t account, const std::string& subject, const std::string& queue, SubRef ref);
  void interest_changed(uint32_t account, std::string_view subject, std::string_view queue, InterestChange ch);

  Server& srv_;
  int id_;
  int nshards_;
  std::vector<std::unique_ptr<SubPartition>>& partitions_;  // by account id
  ShardLinks& links_;
  std::vector<Sub> subs_;
  std::vector<uint32_t> free_;
};

}  // namespace ringnats
