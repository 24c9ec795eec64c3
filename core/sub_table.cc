// Subscription slots and their place in the index (see sub_table.h). The
// partition a subject belongs to is fixed by its hash, so every SUB and
// UNSUB of one subject is applied, in order, by one shard.
#include "core/sub_table.h"

#include "core/cluster_hooks.h"
#include "core/links.h"
#include "core/server.h"

namespace ringnats {

SubTable::SubTable(Server& srv, int id, SubPartition& partition, ShardLinks& links)
    : srv_(srv), id_(id), nshards_(srv.nshards()), partition_(partition), links_(links) {}

uint32_t SubTable::alloc() {
  if (!free_.empty()) {
    uint32_t s = free_.back();
    free_.pop_back();
    return s;
  }
  subs_.emplace_back();
  return static_cast<uint32_t>(subs_.size() - 1);
}

void SubTable::interest_changed(std::string_view subject, std::string_view queue, InterestChange ch) {
  if (auto* cl = srv_.cluster()) cl->local_interest(srv_.shard(id_), subject, queue, ch.before, ch.after);
}

bool SubTable::subscribe(Conn* c, std::string_view subject, std::string_view queue,
                         std::string_view sid) {
  uint32_t slot = alloc();
  Sub& s = subs_[slot];
  s.alive = true;
  s.conn_slot = c->slot;
  s.conn_gen = c->gen;
  s.sid.assign(sid);
  s.subject.assign(subject);
  s.queue.assign(queue);
  s.max = 0;
  s.delivered = 0;
  s.partition = static_cast<uint16_t>(hash_subject(subject) % static_cast<uint64_t>(nshards_));
  c->subs.emplace(std::string(sid), slot);

  SubRef ref;
  ref.cid = c->cid;
  ref.slot = slot;
  ref.gen = s.gen;
  ref.shard = static_cast<uint16_t>(id_);
  ref.flags = static_cast<uint8_t>((c->headers ? kSubHeaders : 0) | (c->echo ? 0 : kSubNoEcho));
  ref.sid = s.sid;
  if (s.partition == id_) {
    interest_changed(subject, queue, partition_.insert(subject, queue, ref));
    return false;
  }
  Rec r{RecKind::SubAdd};
  r.ctl = new SubOp{std::string(subject), std::string(queue), std::move(ref),
                    static_cast<uint16_t>(id_), c->slot, c->gen, true};
  links_.push(s.partition, r);
  return true;
}

void SubTable::unsubscribe(Conn* c, uint32_t slot) {
  Sub& s = subs_[slot];
  if (!s.alive) return;
  c->subs.erase(s.sid);
  remove(slot);
}

void SubTable::unsubscribe_all(Conn* c) {
  for (auto& [sid, slot] : c->subs) remove(slot);
  c->subs.clear();
}

void SubTable::remove(uint32_t slot) {
  Sub& s = subs_[slot];
  if (!s.alive) return;
  SubRef ref;
  ref.slot = slot;
  ref.gen = s.gen;
  ref.shard = static_cast<uint16_t>(id_);
  s.alive = false;
  ++s.gen;  // deliveries still in flight carry the old generation
  if (s.partition == id_) {
    interest_changed(s.subject, s.queue, partition_.remove(s.subject, s.queue, ref));
  } else {
    Rec r{RecKind::SubRemove};
    r.ctl = new SubOp{s.subject, s.queue, std::move(ref), static_cast<uint16_t>(id_), 0, 0, false};
    links_.push(s.partition, r);
  }
  s.sid.clear();
  s.subject.clear();
  s.queue.clear();
  free_.push_back(slot);
}

void SubTable::apply(const Rec& r) {
  auto* op = static_cast<SubOp*>(r.ctl);
  bool add = r.kind == RecKind::SubAdd;
  InterestChange ch = add ? partition_.insert(op->subject, op->queue, op->ref)
                          : partition_.remove(op->subject, op->queue, op->ref);
  // A route's interest is the cluster layer's own; only clients' is news.
  if (!(op->ref.flags & kSubRoute)) interest_changed(op->subject, op->queue, ch);
  if (add && op->ack) {
    Rec a{RecKind::SubAck};
    a.slot = op->conn_slot;
    a.gen = op->conn_gen;
    links_.push(op->origin, a);
  }
  delete op;
}

}  // namespace ringnats
