// Client protocol on a shard: CONNECT, SUB, UNSUB, PING/PONG and the
// control records that keep subscriptions visible across shards (a SUB whose
// partition is elsewhere holds its connection's next PUB/PING until acked).
#include <cstring>

#include "core/cluster_hooks.h"
#include "core/log.h"
#include "core/server.h"
#include "core/shard.h"
#include "proto/connect.h"

namespace ringnats {

using proto::ErrCode;
using proto::Flow;
using proto::Op;

proto::Flow Shard::on_op(Conn* c, Op op, std::string_view args) {
  if (c->type == ConnType::Route) {
    if (auto* cl = srv_.cluster()) return cl->route_op(*this, c, op, args);
    return Flow::Stop;
  }
  switch (op) {
    case Op::Connect:
      return client_connect(c, args);
    case Op::Sub:
      return client_sub(c, args);
    case Op::Unsub:
      return client_unsub(c, args);
    case Op::Ping: {
      c->out.append("PONG\r\n");
      mark_dirty(c);
      if (c->connect_received && !c->first_pong_sent) {
        c->first_pong_sent = true;
        // Topology changed while this client was connecting: tell it now.
        if (c->protocol >= 1 && srv_.connect_urls_changed_ns() >= c->created_ns) send_info(c);
      }
      return Flow::Continue;
    }
    case Op::Pong:
      c->ping_out = 0;
      return Flow::Continue;
    case Op::Ok:
      return Flow::Continue;
    case Op::Err:
      log::error("%s:%d - cid:%llu - Client Error %.*s", c->remote_ip.c_str(), c->remote_port,
                 static_cast<unsigned long long>(c->cid), static_cast<int>(args.size()), args.data());
      close_conn(c, ErrCode::ProtocolViolation);
      return Flow::Stop;
    case Op::Info: {
      if (!proto::json_valid(args)) {
        close_conn(c, ErrCode::ProtocolViolation);
        return Flow::Stop;
      }
      return Flow::Continue;
    }
    default:
      send_err(c, ErrCode::UnknownOp);
      return Flow::Stop;
  }
}

proto::Flow Shard::client_connect(Conn* c, std::string_view args) {
  proto::ClientConnectOptions o;
  o.verbose = c->verbose;
  o.pedantic = c->pedantic;
  o.echo = c->echo;
  o.headers = c->headers;
  o.no_responders = c->no_responders;
  o.protocol = c->protocol;
  if (!proto::parse_client_connect(args, o)) {
    log::error("%s:%d - cid:%llu - Client parser ERROR (bad CONNECT)", c->remote_ip.c_str(),
               c->remote_port, static_cast<unsigned long long>(c->cid));
    close_conn(c, ErrCode::ProtocolViolation);
    return Flow::Stop;
  }
  c->verbose = o.verbose;
  c->pedantic = o.pedantic;
  c->echo = o.echo;
  c->headers = o.headers;
  c->no_responders = o.no_responders;
  c->protocol = o.protocol;
  c->name = o.name;
  c->lang = o.lang;
  c->version = o.version;
  const Options& opts = srv_.opts();
  if (srv_.auth_required()) {
    bool ok = !opts.auth_token.empty()
                  ? o.auth_token == opts.auth_token
                  : (o.user == opts.username && o.pass == opts.password);
    if (!ok) {
      log::error("%s:%d - cid:%llu - authentication error - User \"%s\"", c->remote_ip.c_str(),
                 c->remote_port, static_cast<unsigned long long>(c->cid), o.user.c_str());
      send_err(c, ErrCode::AuthViolation);
      return Flow::Stop;
    }
  }
  if (o.has_account) {
    send_err(c, ErrCode::AuthViolation);
    return Flow::Stop;
  }
  c->connect_received = true;
  c->auth_deadline_ns = 0;
  c->parser.set_require_connect(false);
  if (o.protocol < 0 || o.protocol > 1) {
    send_err(c, ErrCode::BadClientProtocol);
    return Flow::Stop;
  }
  if (o.no_responders && !o.headers) {
    send_err(c, ErrCode::NoRespondersNeedsHeaders);
    return Flow::Stop;
  }
  if (c->verbose) {
    c->out.append("+OK\r\n");
    mark_dirty(c);
  }
  return Flow::Continue;
}

uint32_t Shard::alloc_sub() {
  if (!free_subs_.empty()) {
    uint32_t s = free_subs_.back();
    free_subs_.pop_back();
    return s;
  }
  subs_.emplace_back();
  return static_cast<uint32_t>(subs_.size() - 1);
}

proto::Flow Shard::client_sub(Conn* c, std::string_view args) {
  std::array<std::string_view, 3> t;
  size_t n = proto::split_args(args, t, true);
  if (n != 2 && n != 3) {
    log::error("%s:%d - cid:%llu - processSub Parse Error", c->remote_ip.c_str(), c->remote_port,
               static_cast<unsigned long long>(c->cid));
    close_conn(c, ErrCode::ProtocolViolation);
    return Flow::Stop;
  }
  std::string_view subject = t[0], queue = n == 3 ? t[1] : std::string_view(), sid = t[n - 1];
  const Options& o = srv_.opts();
  if (o.max_subs > 0 && c->subs.size() >= static_cast<size_t>(o.max_subs)) {
    log::error("%s:%d - cid:%llu - maximum subscriptions exceeded", c->remote_ip.c_str(),
               c->remote_port, static_cast<unsigned long long>(c->cid));
    send_err(c, ErrCode::MaxSubscriptions);
    return Flow::Continue;
  }
  if (c->subs.contains(absl::string_view(sid.data(), sid.size()))) {  // nats keeps the old subscription, silently
    if (c->verbose) { c->out.append("+OK\r\n"); mark_dirty(c); }
    return Flow::Continue;
  }
  if (!proto::valid_subscribe_subject(subject)) {
    send_err(c, ErrCode::InvalidSubject);
    return Flow::Continue;
  }
  if (c->verbose) { c->out.append("+OK\r\n"); mark_dirty(c); }

  uint32_t slot = alloc_sub();
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
    InterestChange ch = partition_.insert(subject, queue, ref);
    if (auto* cl = srv_.cluster()) cl->local_interest(*this, subject, queue, ch.before, ch.after);
    return Flow::Continue;
  }
  auto* op = new SubOp{std::string(subject), std::string(queue), std::move(ref),
                       static_cast<uint16_t>(id_), c->slot, c->gen, true};
  Rec r{RecKind::SubAdd};
  r.ctl = op;
  push(s.partition, r);
  ++c->pending_acks;
  c->parser.set_hold(true);
  return Flow::Continue;
}

void Shard::remove_sub(Conn* c, uint32_t slot) {
  (void)c;
  Sub& s = subs_[slot];
  if (!s.alive) return;
  SubRef ref;
  ref.slot = slot;
  ref.gen = s.gen;
  ref.shard = static_cast<uint16_t>(id_);
  s.alive = false;
  ++s.gen;  // deliveries still in flight carry the old generation
  if (s.partition == id_) {
    InterestChange ch = partition_.remove(s.subject, s.queue, ref);
    if (auto* cl = srv_.cluster()) cl->local_interest(*this, s.subject, s.queue, ch.before, ch.after);
  } else {
    auto* op = new SubOp{s.subject, s.queue, std::move(ref), static_cast<uint16_t>(id_), 0, 0, false};
    Rec r{RecKind::SubRemove};
    r.ctl = op;
    push(s.partition, r);
  }
  s.sid.clear();
  s.subject.clear();
  s.queue.clear();
  free_subs_.push_back(slot);
}

proto::Flow Shard::client_unsub(Conn* c, std::string_view args) {
  std::array<std::string_view, 2> t;
  size_t n = proto::split_args(args, t, true);
  if (n != 1 && n != 2) {
    log::error("%s:%d - cid:%llu - processUnsub Parse Error", c->remote_ip.c_str(),
               c->remote_port, static_cast<unsigned long long>(c->cid));
    close_conn(c, ErrCode::ProtocolViolation);
    return Flow::Stop;
  }
  int64_t max = n == 2 ? proto::parse_size(t[1]) : -1;
  auto it = c->subs.find(absl::string_view(t[0].data(), t[0].size()));
  if (it != c->subs.end()) {
    Sub& s = subs_[it->second];
    if (max > 0 && static_cast<uint64_t>(max) > s.delivered) {
      s.max = static_cast<uint64_t>(max);
    } else {
      remove_sub(c, it->second);
      c->subs.erase(it);
    }
  }
  if (c->verbose) { c->out.append("+OK\r\n"); mark_dirty(c); }
  return Flow::Continue;
}

void Shard::send_info(Conn* c) {
  c->out.append(srv_.client_info(*c));
  mark_dirty(c);
}

// --------------------------------------------------------------------------
// Records from other shards

// Ask shard `src` to stall its publisher `tag` (at most once a millisecond
// per publisher: until it is stalled, every message it sends would ask).
void Shard::ask_stall(int src, void* tag) {
  if (stall_sent_tag_[src] == tag && now_ns_ - stall_sent_ns_[src] < 1'000'000) return;
  stall_sent_tag_[src] = tag;
  stall_sent_ns_[src] = now_ns_;
  Rec s{RecKind::StallConn};
  uint64_t t = reinterpret_cast<uint64_t>(tag);
  s.slot = static_cast<uint32_t>(t >> 32);
  s.gen = static_cast<uint32_t>(t);
  push(src, s);
}

// A record from shard `src`. A delivery to a subscriber past half its
// max_pending is still taken (nothing behind it on the ring waits), and
// shard `src` is asked to stall the publishers feeding it.
void Shard::handle_rec(Rec& r, int src) {
  switch (r.kind) {
    case RecKind::Deliver: {
      bool taken = false;
      if (r.slot < subs_.size()) {
        Sub& s = subs_[r.slot];
        if (s.alive && s.gen == r.gen) {
          Conn* c = conn_at(s.conn_slot, s.conn_gen);
          if (c && c->over_half && !c->closing() && r.ctl) ask_stall(src, r.ctl);
          if (c && !c->closing() && sub_accepts(s)) {
            taken = true;
            c->out.append_shared(r.block, r.block->data + r.off, r.len, kRefBudget);
            if (r.payload) c->out.append_shared(r.payload, r.payload->data + r.poff, r.plen, kRefBudget);
            mark_dirty(c);
            if (s.max && s.delivered >= s.max) {
              c->subs.erase(s.sid);
              remove_sub(c, r.slot);
            }
          }
        }
      }
      // A queue member that left (or reached its max) since it was picked:
      // another member takes the message rather than nobody.
      if (!taken && r.queued) redirect_queue(r);
      if (r.payload) {
        links_.discharge(src, r.plen);
        r.payload->unref();
      }
      return;
    }
    case RecKind::DeliverConn: {
      Conn* c = conn_at(r.slot, r.gen);
      if (c && !c->closing()) {
        c->out.append_shared(r.block, r.block->data + r.off, r.len, kRefBudget);
        if (r.payload) c->out.append_shared(r.payload, r.payload->data + r.poff, r.plen, kRefBudget);
        mark_dirty(c);
      }
      if (r.payload) {
        links_.discharge(src, r.plen);
        r.payload->unref();
      }
      return;
    }
    case RecKind::BatchDone:
      links_.discharge(src, r.block->cap);
      r.block->unref();
      return;
    case RecKind::SubAdd: {
      auto* op = static_cast<SubOp*>(r.ctl);
      InterestChange ch = partition_.insert(op->subject, op->queue, op->ref);
      if (auto* cl = srv_.cluster(); cl && !(op->ref.flags & kSubRoute))
        cl->local_interest(*this, op->subject, op->queue, ch.before, ch.after);
      if (op->ack) {
        Rec a{RecKind::SubAck};
        a.slot = op->conn_slot;
        a.gen = op->conn_gen;
        push(op->origin, a);
      }
      delete op;
      return;
    }
    case RecKind::SubRemove: {
      auto* op = static_cast<SubOp*>(r.ctl);
      InterestChange ch = partition_.remove(op->subject, op->queue, op->ref);
      if (auto* cl = srv_.cluster(); cl && !(op->ref.flags & kSubRoute))
        cl->local_interest(*this, op->subject, op->queue, ch.before, ch.after);
      delete op;
      return;
    }
    case RecKind::SubAck: {
      Conn* c = conn_at(r.slot, r.gen);
      if (!c || c->closing()) return;
      if (--c->pending_acks > 0) return;
      c->parser.set_hold(false);
      if (c->parked && !c->throttled) resume_parked(c);
      return;
    }
    case RecKind::StallConn: {
      Conn* c = conn_at(r.slot, r.gen);
      if (c) stall(c);
      return;
    }
    case RecKind::NewConn:
      new_conn(static_cast<int>(r.slot), ConnType::Client);
      return;
    case RecKind::Control: {
      auto* fn = static_cast<std::function<void(Shard&)>*>(r.ctl);
      (*fn)(*this);
      delete fn;
      return;
    }
  }
  return;
}

}  // namespace ringnats
