// Matching and fan-out (see fanout.h): the publish walk, the MSG lines it
// writes, and the receiving side of the records it sends to peers.
#include "core/fanout.h"

#include <cstring>

#include "core/clock.h"
#include "core/cluster_hooks.h"
#include "core/jetstream_hooks.h"
#include "core/conn_table.h"
#include "core/links.h"
#include "core/server.h"
#include "core/sub_table.h"
#include "core/subject_match.h"
#include "core/trace.h"
#include "core/log.h"
#include "proto/subject.h"

namespace ringnats {

using proto::ErrCode;
using proto::Flow;
using proto::MsgArgs;

namespace {

char* put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* put_uint(char* p, uint64_t v) {
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) *p++ = tmp[--n];
  return p;
}

// What a subscriber sees of a message: HMSG when it has headers and the
// subscriber negotiated them, else MSG with the headers cut off.
struct Shape {
  bool hmsg;
  int64_t hdr;
  int64_t skip;   // payload bytes not sent (stripped headers)
  int64_t size;   // bytes sent
};

Shape shape_for(const MsgArgs& m, bool sub_headers) {
  if (m.hdr > 0 && sub_headers) return {true, m.hdr, 0, m.size};
  if (m.hdr > 0) return {false, 0, m.hdr, m.size - m.hdr};
  return {false, 0, 0, m.size};
}

size_t msg_line_max(const MsgArgs& m, size_t sid_len) {
  return m.subject.size() + m.shown_subject.size() + m.reply.size() + sid_len + m.hdr_text.size() +
         m.size_text.size() + 64;
}

char* write_msg_line(char* p, const MsgArgs& m, std::string_view sid, const Shape& sh) {
  p = put(p, sh.hmsg ? std::string_view("HMSG ") : std::string_view("MSG "));
  p = put(p, m.shown_subject.empty() ? m.subject : m.shown_subject);
  *p++ = ' ';
  p = put(p, sid);
  *p++ = ' ';
  if (!m.reply.empty()) {
    p = put(p, m.reply);
    *p++ = ' ';
  }
  if (sh.hmsg) {
    p = put(p, m.hdr_text);
    *p++ = ' ';
  }
  // Unchanged sizes go out as the publisher wrote them, like nats-server.
  if (sh.skip == 0 && !m.size_text.empty()) p = put(p, m.size_text);
  else p = put_uint(p, static_cast<uint64_t>(sh.size));
  *p++ = '\r';
  *p++ = '\n';
  return p;
}

// The subject and reply of a MSG/HMSG line we wrote ("MSG subj sid [reply]
// size", "HMSG subj sid [reply] hdr size"), for a subscriber with permissions.
void msg_line_subject_reply(std::string_view line, std::string_view& subject, std::string_view& reply) {
  std::string_view t[6];
  size_t n = 0, i = 0;
  while (i < line.size() && n < 6) {
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\r') ++j;
    t[n++] = line.substr(i, j - i);
    if (j >= line.size() || line[j] == '\r') break;
    i = j + 1;
  }
  subject = n > 1 ? t[1] : std::string_view();
  bool hmsg = n > 0 && t[0] == "HMSG";
  reply = n == (hmsg ? 6u : 5u) ? t[3] : std::string_view();
}

}  // namespace

Fanout::Fanout(Server& srv, Shard& shard, int id, ConnTable& conns, SubTable& subs, ShardLinks& links,
               const int64_t& now)
    : srv_(srv), shard_(shard), id_(id), nshards_(srv.nshards()), conns_(conns), subs_(subs), links_(links),
      now_(now), rng_state_((static_cast<uint64_t>(mono_ns()) ^ (static_cast<uint64_t>(id) * 7919)) | 1) {
  stall_sent_tag_.assign(static_cast<size_t>(nshards_), nullptr);
  memo_.resize(kMemoSlots);
  stall_sent_ns_.assign(static_cast<size_t>(nshards_), 0);
}

void Fanout::deliver_local(uint32_t slot, const SubRef& ref, const MsgArgs& m,
                          std::string_view payload, Block* storage) {
  Sub* sp = subs_.at(slot, ref.gen);
  if (!sp) return;
  Sub& s = *sp;
  Conn* c = conns_.at(s.conn_slot, s.conn_gen);
  if (!c || c->closing()) return;
  // Subscribe deny list of a wildcard subscriber (nats' checkDenySub).
  if (c->perms && c->perms->deny_delivery(m.subject)) return;
  if (!SubTable::take(s)) return;
  if (c->internal) {
    count_out(c, static_cast<uint64_t>(m.size));
    srv_.jetstream()->internal_msg(shard_, c, s, m, payload);
    if (SubTable::exhausted(s)) subs_.unsubscribe(c, slot);
    return;
  }
  Shape sh = shape_for(m, c->headers);
  size_t line = msg_line_max(m, s.sid.size());
  if (storage) {
    char* p = c->out.reserve(line);
    char* e = write_msg_line(p, m, s.sid, sh);
    if (log::trace_enabled()) trace::out(*c, std::string_view(p, static_cast<size_t>(e - p) - 2));
    c->out.commit(p, static_cast<size_t>(e - p));
    c->out.append_shared(storage, payload.data() + sh.skip, static_cast<size_t>(sh.size) + 2,
                         conns_.ref_budget());
  } else {
    char* p = c->out.reserve(line + static_cast<size_t>(sh.size) + 2);
    char* e = write_msg_line(p, m, s.sid, sh);
    if (log::trace_enabled()) trace::out(*c, std::string_view(p, static_cast<size_t>(e - p) - 2));
    e = put(e, payload.substr(static_cast<size_t>(sh.skip)));
    *e++ = '\r';
    *e++ = '\n';
    c->out.commit(p, static_cast<size_t>(e - p));
  }
  conns_.mark_dirty(c);
  count_out(c, static_cast<uint64_t>(sh.size));
  if (c->perms) c->perms->track_reply(m.reply, now_);  // allow_responses
  if (c->over_half && c != cur_src_) stall_src_ = true;
  if (SubTable::exhausted(s)) {
    subs_.unsubscribe(c, slot);
  }
}

// A delivery names its publisher (so the subscriber's shard can ask for a
// fast-producer stall). A queue delivery also carries a QueueStash before
// its MSG line (group, publisher cid, headers the line dropped), so the
// member's shard can hand it to another member if this one is gone.
void Fanout::deliver_remote(const SubRef& ref, const MsgArgs& m, std::string_view payload,
                           Block* storage, const QueueTag& q) {
  int dst = ref.shard;
  if (ref.pressure && cur_pub_tag_ && ref.pressure->load(std::memory_order_relaxed)) stall_peer_ = ref.pressure;
  Shape sh = shape_for(m, ref.flags & kSubHeaders);
  size_t stash = q.group.empty() ? 0 : q.group.size() + static_cast<size_t>(sh.skip) + sizeof(QueueStash);
  size_t line = msg_line_max(m, ref.sid.size()) + stash;
  Rec r{RecKind::Deliver};
  r.slot = ref.slot;
  r.gen = ref.gen;
  r.msg_size = static_cast<uint32_t>(sh.size);
  r.ctl = cur_pub_tag_;
  auto put_stash = [&](Block* b) {
    if (!stash) return;
    b->put(q.group.data(), q.group.size());
    b->put(payload.data(), static_cast<size_t>(sh.skip));  // the headers a MSG line drops
    QueueStash qs{q.pub_cid, static_cast<uint32_t>(q.group.size()), static_cast<uint32_t>(sh.skip), cur_account_,
                  {0, 0, 0, 0}};
    if (q.visited) std::memcpy(qs.visited, q.visited, sizeof qs.visited);
    b->put(&qs, sizeof(qs));
    r.queued = true;
    r.hops = q.hops;
  };
  if (storage) {
    Block* b = links_.batch_for(dst, line);
    put_stash(b);
    char* p = b->tail();
    char* e = write_msg_line(p, m, ref.sid, sh);
    r.block = b;
    r.off = b->len;
    r.len = static_cast<uint32_t>(e - p);
    b->len += r.len;
    storage->ref();
    r.payload = storage;
    r.poff = static_cast<uint32_t>(payload.data() + sh.skip - storage->data);
    r.plen = static_cast<uint32_t>(sh.size + 2);
    links_.charge(dst, r.plen);
  } else {
    Block* b = links_.batch_for(dst, line + static_cast<size_t>(sh.size) + 2);
    put_stash(b);
    char* p = b->tail();
    char* e = write_msg_line(p, m, ref.sid, sh);
    e = put(e, payload.substr(static_cast<size_t>(sh.skip)));
    *e++ = '\r';
    *e++ = '\n';
    r.block = b;
    r.off = b->len;
    r.len = static_cast<uint32_t>(e - p);
    b->len += r.len;
  }
  links_.push(dst, r);
}

bool Fanout::route_has_pattern(uint32_t account, std::string_view pattern) {
  const SubSet* set = srv_.shard(partition_of(pattern, nshards_)).partition(account).find_pattern(pattern);
  if (!set) return false;
  for (const SubRef& r : set->plain)
    if (r.flags & kSubRoute) return true;
  return false;
}

// Every set matching `subject`, into match_.
bool Fanout::has_interest(uint32_t account, std::string_view subject) {
  ringnats::match_subject([&](int p) -> const SubPartition& { return srv_.shard(p).partition(account); }, nshards_,
                          subject, interest_tokens_, interest_match_);
  for (const SubSet* set : interest_match_)
    if (!set->empty()) return true;
  return false;
}

void Fanout::match_subject(uint32_t account, std::string_view subject) {
  const uint64_t h = hash_subject(subject);
  MatchMemo& e = memo_[h & (kMemoSlots - 1)];
  if (e.hash == h && e.account == account && e.subject == subject) {
    bool fresh = true;
    for (int i = 0; i < e.nparts && fresh; ++i) fresh = e.parts[i]->sets_gen() == e.gens[i];
    if (fresh) {
      match_.assign(e.sets.begin(), e.sets.end());
      return;
    }
  }
  // Every partition the match may read, with its generation taken before
  // the match: a set published meanwhile shows up as a change next time.
  int parts[3];
  const int n = match_partitions(subject, h, nshards_, parts);
  e.nparts = n;
  for (int i = 0; i < n; ++i) {
    e.parts[i] = &srv_.shard(parts[i]).partition(account);
    e.gens[i] = e.parts[i]->sets_gen();
  }
  ringnats::match_subject([&](int p) -> const SubPartition& { return srv_.shard(p).partition(account); }, nshards_,
                          subject, tokens_, match_);
  e.hash = h;
  e.account = account;
  e.subject.assign(subject);
  e.sets.assign(match_.begin(), match_.end());
}

void Fanout::publish(Conn* src, uint32_t account, const MsgArgs& m, std::string_view payload, Block* storage,
                    std::string_view route_queues) {
  cur_account_ = account;
  const bool from_route = src->type == ConnType::Route;
  stall_src_ = false;
  stall_peer_ = nullptr;
  cur_src_ = src;
  cur_pub_tag_ = (from_route || src == &internal_ || src->internal) ? nullptr : pub_tag(src->slot, src->gen);
  route_queue_names_.clear();
  for (size_t i = 0; i < route_queues.size();) {
    while (i < route_queues.size() && (route_queues[i] == ' ' || route_queues[i] == '\t')) ++i;
    size_t j = i;
    while (j < route_queues.size() && route_queues[j] != ' ' && route_queues[j] != '\t') ++j;
    if (j > i) route_queue_names_.push_back(route_queues.substr(i, j - i));
    i = j;
  }
  match_subject(account, m.subject);

  bool delivered = false;
  const bool self_skip = !src->echo;
  ClusterHooks* cl = srv_.cluster();
  size_t nroutes = 0;  // route_targets_ keeps its vectors' capacity

  auto deliver = [&](const SubRef& r, std::string_view group = {}) {
    if (r.flags & kSubImport) {
      // A subscriber in an importing account: it sees the imported subject.
      // No queue stash: a redirect would re-match in the wrong account.
      MsgArgs& im = import_args(r, m);
      if (r.shard == id_) deliver_local(r.slot, r, im, payload, storage);
      else deliver_remote(r, im, payload, storage, QueueTag{{}, src->cid, 0});
      return;
    }
    if (r.shard == id_) deliver_local(r.slot, r, m, payload, storage);
    else deliver_remote(r, m, payload, storage, QueueTag{group, src->cid, 0});
  };
  auto route_target = [&](const SubRef& r) -> RouteTarget& {
    for (size_t i = 0; i < nroutes; ++i)
      if (route_targets_[i].ref->same(r)) return route_targets_[i];
    if (nroutes == route_targets_.size()) route_targets_.emplace_back();
    RouteTarget& t = route_targets_[nroutes++];
    t.ref = &r;
    t.plain = false;
    t.queues.clear();
    return t;
  };

  for (const SubSet* set : match_) {
    for (const SubRef& r : set->plain) {
      if (r.flags & kSubRoute) {
        if (!from_route) route_target(r).plain = true;
        continue;
      }
      if (r.flags & (kSubService | kSubResponse)) {
        // A request to import (the server it was published on serves it:
        // not one that came over a route), or a response to relay.
        if ((r.flags & kSubService) && from_route) continue;
        deferred_[deferred_depth_].push_back(&r);
        delivered = true;
        continue;
      }
      if (self_skip && r.cid == src->cid) continue;
      // This server's JetStream takes what this server's clients publish;
      // what a peer forwarded only where it asked for it (cluster-wide).
      if ((r.flags & (kSubInternal | kSubClusterWide)) == kSubInternal && from_route) continue;
      deliver(r);
      delivered = true;
    }
  }

  // Queue groups: one member per group across every matching set.
  ngroups_ = 0;
  auto eligible = [&](const SubRef& r) {
    if (r.flags & kSubRoute) return !from_route;
    if (self_skip && r.cid == src->cid) return false;
    // Gone, or at its auto-unsubscribe max: like nats-server, pick among
    // the members that can take the message.
    return r.shard != id_ || subs_.can_take(r);
  };
  auto new_pick = [&](std::string_view name) -> GroupPick& {
    if (ngroups_ == groups_.size()) groups_.emplace_back();
    GroupPick& gp = groups_[ngroups_++];
    gp.name = name;
    gp.members.clear();
    gp.total = 0;
    gp.chosen = nullptr;
    return gp;
  };
  // One matching set (the common case) holds each group once. A group of
  // this server's members alone is picked in place: a uniformly drawn slot
  // that can take the message is the pick; a hole or a member that cannot
  // falls back to the full walk, which keeps the choice uniform.
  const bool one_set = match_.size() == 1 && !from_route;
  for (const SubSet* set : match_) {
    for (const QueueGroup* gq : set->groups.snapshot()) {
      const QueueGroup& g = *gq;
      if (one_set && !g.members.has_routes()) {
        const SubRef* r = g.members.at_random(next_random());
        if (r && eligible(*r)) {
          new_pick(g.name).chosen = r;
          continue;
        }
      }
      if (from_route) {
        // Only the groups the sending server picked us for (all of them,
        // however many it named).
        bool named = false;
        for (std::string_view q : route_queue_names_)
          if (q == g.name) { named = true; break; }
        if (!named) continue;
      }
      GroupPick* gp = nullptr;
      if (!one_set)
        for (size_t i = 0; i < ngroups_; ++i)
          if (groups_[i].name == g.name) { gp = &groups_[i]; break; }
      if (!gp) gp = &new_pick(g.name);
      for (const SubRef& r : g.members) {
        if (!eligible(r)) continue;
        gp->members.push_back(&r);
        gp->total += (r.flags & kSubRoute) ? r.weight : 1;
      }
    }
  }
  for (size_t i = 0; i < ngroups_; ++i) {
    GroupPick& gp = groups_[i];
    const SubRef* chosen = gp.chosen;
    if (!chosen && gp.total > 0) {
      uint64_t pick = next_random() % gp.total;
      for (const SubRef* r : gp.members) {
        uint64_t w = (r->flags & kSubRoute) ? r->weight : 1;
        if (pick < w) { chosen = r; break; }
        pick -= w;
      }
    }
    if (!chosen) continue;
    if (chosen->flags & kSubRoute) {
      route_target(*chosen).queues.push_back(gp.name);
    } else {
      deliver(*chosen, gp.name);
    }
    delivered = true;
  }

  if (cl && nroutes > 0) {
    for (size_t i = 0; i < nroutes; ++i) {
      const RouteTarget& t = route_targets_[i];
      cl->forward_to_route(srv_.shard(id_), *t.ref, account, m, payload, storage, t.plain, t.queues);
    }
    delivered = true;
  }

  if (!deferred_[deferred_depth_].empty()) run_deferred(m, payload, storage);
  last_delivered_ = delivered;

  if (!delivered && !from_route && src->no_responders && !m.reply.empty())
    send_no_responders(src, m.reply);
}

MsgArgs& Fanout::import_args(const SubRef& r, const MsgArgs& m) {
  const StreamImportRt& im = srv_.accounts().stream_import(r.import);
  import_args_ = m;
  if (im.literal_to) {
    import_args_.subject = im.to;
  } else if (!im.prefix.empty()) {
    import_subject_.assign(im.prefix).append(m.subject);
    import_args_.subject = import_subject_;
  }
  return import_args_;
}

void Fanout::send_no_responders(Conn* c, std::string_view reply) {
  // nats answers on one of the requester's own subscriptions matching reply.
  for (auto it = c->subs.begin(); it != c->subs.end(); ++it) {
    uint32_t slot = it->second;
    Sub& s = subs_[slot];
    if (!s.alive || !s.queue.empty() || !proto::subject_matches(s.subject, reply)) continue;
    if (!SubTable::take(s)) continue;
    std::string line;
    line.reserve(reply.size() + s.sid.size() + 48);
    line.append("HMSG ").append(reply).append(" ").append(s.sid).append(" 16 16\r\nNATS/1.0 503\r\n\r\n\r\n");
    c->out.append(line);
    conns_.mark_dirty(c);
    count_out(c, 16);
    if (SubTable::exhausted(s)) {
      subs_.unsubscribe(c, slot);
    }
    return;
  }
}

}  // namespace ringnats

namespace ringnats {

// A delivery from shard `src`. One to a subscriber past half its
// max_pending is still taken (nothing behind it on the ring waits), and
// `src` is asked to stall the publisher feeding it.
void Fanout::on_deliver(Rec& r, int src) {
  bool taken = false;
  if (Sub* s = subs_.at(r.slot, r.gen)) {
    Conn* c = conns_.at(s->conn_slot, s->conn_gen);
    if (c && c->over_half && !c->closing() && r.ctl) ask_stall(src, r.ctl);
    std::string_view subject, reply;
    if (c && c->perms) msg_line_subject_reply(std::string_view(r.block->data + r.off, r.len), subject, reply);
    bool denied = c && c->perms && c->perms->deny_delivery(subject);
    if (c && c->internal && !c->closing() && SubTable::take(*s)) {
      taken = true;
      deliver_internal_record(c, *s, r);
      if (SubTable::exhausted(*s)) subs_.unsubscribe(c, r.slot);
    } else if (c && !c->closing() && !denied && SubTable::take(*s)) {
      if (c->perms) c->perms->track_reply(reply, now_);
      taken = true;
      if (log::trace_enabled()) {
        std::string_view rec(r.block->data + r.off, r.len);
        trace::out(*c, rec.substr(0, rec.find("\r\n")));
      }
      c->out.append_shared(r.block, r.block->data + r.off, r.len, conns_.ref_budget());
      if (r.payload) c->out.append_shared(r.payload, r.payload->data + r.poff, r.plen, conns_.ref_budget());
      conns_.mark_dirty(c);
      count_out(c, r.msg_size);
      if (SubTable::exhausted(*s)) subs_.unsubscribe(c, r.slot);
    }
  }
  // A queue member that left (or reached its max) since it was picked:
  // another member takes the message rather than nobody.
  if (!taken && r.queued) redirect_queue(r);
  if (r.payload) {
    links_.discharge(src, r.plen);
    r.payload->unref();
  }
}

void Fanout::deliver_internal_record(Conn* c, const Sub& s, const Rec& r) {
  std::string_view rec(r.block->data + r.off, r.len);
  size_t eol = rec.find("\r\n");
  MsgArgs m;
  if (eol == std::string_view::npos || !parse_msg_line(rec.substr(0, eol), m)) return;
  std::string_view rest = r.payload ? std::string_view(r.payload->data + r.poff, r.plen) : rec.substr(eol + 2);
  if (rest.size() < static_cast<size_t>(m.size)) return;
  count_out(c, static_cast<uint64_t>(m.size));
  srv_.jetstream()->internal_msg(shard_, c, s, m, rest.substr(0, static_cast<size_t>(m.size)));
}

void Fanout::on_deliver_conn(Rec& r, int src) {
  Conn* c = conns_.at(r.slot, r.gen);
  if (c && !c->closing()) {
    c->out.append_shared(r.block, r.block->data + r.off, r.len, conns_.ref_budget());
    if (r.payload) c->out.append_shared(r.payload, r.payload->data + r.poff, r.plen, conns_.ref_budget());
    conns_.mark_dirty(c);
    if (r.is_msg) count_out(c, r.msg_size);
  }
  if (r.payload) {
    links_.discharge(src, r.plen);
    r.payload->unref();
  }
}

void Fanout::send_to_conn(int dst, uint32_t slot, uint32_t gen, std::string_view head,
                          std::string_view payload, Block* storage, int64_t msg_size) {
  if (dst == id_) {
    Conn* c = conns_.at(slot, gen);
    if (!c || c->closing()) return;
    c->out.append(head);
    if (storage) c->out.append_ref(storage, payload.data(), payload.size());
    else if (!payload.empty()) c->out.append(payload);
    conns_.mark_dirty(c);
    if (msg_size >= 0) count_out(c, static_cast<uint64_t>(msg_size));
    return;
  }
  Rec r{RecKind::DeliverConn};
  r.slot = slot;
  r.gen = gen;
  r.is_msg = msg_size >= 0;
  r.msg_size = r.is_msg ? static_cast<uint32_t>(msg_size) : 0;
  size_t need = head.size() + (storage ? 0 : payload.size());
  Block* b = links_.batch_for(dst, need);
  r.block = b;
  r.off = b->len;
  b->put(head.data(), head.size());
  if (!storage) b->put(payload.data(), payload.size());
  r.len = b->len - r.off;
  if (storage) {
    links_.charge(dst, payload.size());
    storage->ref();
    r.payload = storage;
    r.poff = static_cast<uint32_t>(payload.data() - storage->data);
    r.plen = static_cast<uint32_t>(payload.size());
  }
  links_.push(dst, r);
}

void Fanout::release_stalls() {
  if (!asked_any_stall_) return;
  asked_any_stall_ = false;
  for (int src = 0; src < nshards_; ++src) {
    if (!stall_sent_tag_[src]) continue;
    stall_sent_tag_[src] = nullptr;  // the next ask goes out at once
    links_.push(src, Rec{RecKind::StallRelease});
  }
}

// Ask shard `src` to stall its publisher `tag` (at most once a millisecond
// per publisher: until it is stalled, every message it sends would ask).
void Fanout::ask_stall(int src, void* tag) {
  if (stall_sent_tag_[src] == tag && now_ - stall_sent_ns_[src] < 1'000'000) return;
  stall_sent_tag_[src] = tag;
  stall_sent_ns_[src] = now_;
  asked_any_stall_ = true;
  Rec s{RecKind::StallConn};
  uint64_t t = reinterpret_cast<uint64_t>(tag);
  s.slot = static_cast<uint32_t>(t >> 32);
  s.gen = static_cast<uint32_t>(t);
  links_.push(src, s);
}

}  // namespace ringnats
