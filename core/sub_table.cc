// Subscription slots and their place in the index (see sub_table.h). The
// partition a subject belongs to is fixed by its hash, so every SUB and
// UNSUB of one subject is applied, in order, by one shard.
#include "core/sub_table.h"
#include "core/subject_match.h"

#include "core/cluster_hooks.h"
#include "core/links.h"
#include "core/server.h"
#include "proto/subject.h"

namespace ringnats {

SubTable::SubTable(Server& srv, int id, std::vector<std::unique_ptr<SubPartition>>& partitions,
                   ShardLinks& links)
    : srv_(srv), id_(id), nshards_(srv.nshards()), partitions_(partitions), links_(links) {}

uint32_t SubTable::alloc() {
  if (!free_.empty()) {
    uint32_t s = free_.back();
    free_.pop_back();
    return s;
  }
  subs_.emplace_back();
  return static_cast<uint32_t>(subs_.size() - 1);
}

void SubTable::interest_changed(uint32_t account, std::string_view subject, std::string_view queue,
                                InterestChange ch) {
  if (auto* cl = srv_.cluster())
    cl->local_interest(srv_.shard(id_), account, subject, queue, ch.before, ch.after);
}

// Where a subscription to `subject` in an importing account is filed in the
// exporter's index, or "" when the import cannot deliver to it.
std::string shadow_subject(const StreamImportRt& im, std::string_view subject) {
  if (proto::subject_is_subset(subject, im.to)) {
    if (im.literal_to) return im.from;
    return std::string(subject.substr(im.prefix.size()));
  }
  if (proto::subject_is_subset(im.to, subject)) return im.from;
  return {};
}

int SubTable::index_add(uint32_t account, std::string_view subject, std::string_view queue, SubRef ref,
                        Conn* c) {
  uint16_t p = partition_of(subject, nshards_);
  if (p == id_) {
    interest_changed(account, subject, queue, partitions_[account]->insert(subject, queue, ref));
    return 0;
  }
  Rec r{RecKind::SubAdd};
  r.ctl = new SubOp{std::string(subject), std::string(queue), std::move(ref),
                    static_cast<uint16_t>(id_), c->slot, c->gen, true, account};
  links_.push(p, r);
  return 1;
}

void SubTable::index_remove(uint32_t account, const std::string& subject, const std::string& queue,
                            SubRef ref) {
  uint16_t p = partition_of(subject, nshards_);
  if (p == id_) {
    interest_changed(account, subject, queue, partitions_[account]->remove(subject, queue, ref));
    return;
  }
  Rec r{RecKind::SubRemove};
  r.ctl = new SubOp{subject, queue, std::move(ref), static_cast<uint16_t>(id_), 0, 0, false, account};
  links_.push(p, r);
}

int SubTable::subscribe(Conn* c, std::string_view subject, std::string_view queue, std::string_view sid,
                        uint8_t extra_flags) {
  uint32_t slot = alloc();
  Sub& s = subs_[slot];
  s.alive = true;
  s.conn_slot = c->slot;
  s.conn_gen = c->gen;
  s.sid.assign(sid);
  s.subject.assign(subject);
  s.queue.assign(queue);
  s.account = c->account;
  s.max = 0;
  s.delivered = 0;
  s.partition = partition_of(subject, nshards_);
  s.cluster_wide = (extra_flags & kSubClusterWide) != 0;
  c->subs.emplace(std::string(sid), slot);

  SubRef ref;
  ref.cid = c->cid;
  ref.slot = slot;
  ref.gen = s.gen;
  ref.shard = static_cast<uint16_t>(id_);
  ref.flags = static_cast<uint8_t>((c->headers ? kSubHeaders : 0) | (c->echo ? 0 : kSubNoEcho) |
                                   (c->internal ? kSubInternal : 0) | extra_flags);
  ref.sid = s.sid;
  if (!c->internal) ref.pressure = c->pressure;
  int acks = 0;
  s.shadows.clear();
  const AccountTable& accounts = srv_.accounts();
  for (uint32_t id : accounts.at(s.account).stream_imports) {
    const StreamImportRt& im = accounts.stream_import(id);
    std::string shadow = shadow_subject(im, subject);
    if (shadow.empty()) continue;
    SubRef sh = ref;
    sh.flags = static_cast<uint8_t>(sh.flags | kSubImport);
    sh.import = id;
    acks += index_add(im.exporter, shadow, queue, std::move(sh), c);
    s.shadows.emplace_back(id, std::move(shadow));
  }
  return acks + index_add(s.account, subject, queue, std::move(ref), c);
}

void SubTable::unsubscribe(Conn* c, uint32_t slot) {
  Sub& s = subs_[slot];
  if (!s.alive) return;
  c->subs.erase(s.sid);
  remove(slot);
}

void SubTable::announce_cluster_wide() {
  auto* cl = srv_.cluster();
  if (!cl) return;
  for (const Sub& s : subs_)
    if (s.alive && s.cluster_wide) cl->local_interest(srv_.shard(id_), s.account, s.subject, s.queue, 0, 1);
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
  for (const auto& [id, shadow] : s.shadows) {
    SubRef sh = ref;
    sh.flags = kSubImport;
    index_remove(srv_.accounts().stream_import(id).exporter, shadow, s.queue, sh);
  }
  s.shadows.clear();
  index_remove(s.account, s.subject, s.queue, std::move(ref));
  s.sid.clear();
  s.subject.clear();
  s.queue.clear();
  free_.push_back(slot);
}

void SubTable::apply(const Rec& r) {
  auto* op = static_cast<SubOp*>(r.ctl);
  bool add = r.kind == RecKind::SubAdd;
  SubPartition& part = *partitions_[op->account];
  InterestChange ch = add ? part.insert(op->subject, op->queue, op->ref) : part.remove(op->subject, op->queue, op->ref);
  // A route's interest is the cluster layer's own; only clients' is news.
  if (!(op->ref.flags & kSubRoute)) interest_changed(op->account, op->subject, op->queue, ch);
  if (add && op->ack) {
    Rec a{RecKind::SubAck};
    a.slot = op->conn_slot;
    a.gen = op->conn_gen;
    links_.push(op->origin, a);
  }
  delete op;
}

}  // namespace ringnats
