// What the parser and the peer shards hand a shard, and who takes it: client
// operations go to the ClientSession, a route's to the cluster layer, every
// message to the Fanout, index changes to the SubTable. The PUB hot path
// starts here: Shard::feed -> on_msg -> Fanout::publish (fanout.cc).
#include "core/cluster_hooks.h"
#include "core/jetstream_hooks.h"
#include "core/log.h"
#include "core/monitor_hooks.h"
#include "core/server.h"
#include "core/trace.h"
#include "core/shard.h"
#include "proto/route_args.h"

namespace ringnats {

using proto::ErrCode;
using proto::Flow;
using proto::MsgArgs;

namespace {
struct ConnHandler {
  Shard& s;
  Conn* c;
  Flow on_op(proto::Op op, std::string_view args) { return s.on_op(c, op, args); }
  Flow on_msg_args(const MsgArgs& m) { return s.on_msg_args(c, m); }
  char* payload_storage(const MsgArgs& m) { return s.payload_storage(c, m); }
  Flow on_msg(const MsgArgs& m, std::string_view p, bool stored) { return s.on_msg(c, m, p, stored); }
};
}  // namespace

// Returns how many bytes were consumed; fewer than `len` means paused.
size_t Shard::feed(Conn* c, const char* data, size_t len) {
  ConnHandler h{*this, c};
  proto::FeedResult r = c->parser.feed(data, len, h);
  switch (r.status) {
    case proto::FeedResult::Done:
      return len;
    case proto::FeedResult::Paused:
      c->parked = true;
      return r.consumed;
    case proto::FeedResult::Stopped:
      return len;
    case proto::FeedResult::Error:
      if (r.err == proto::ErrCode::UnknownOp || r.err == proto::ErrCode::ProtocolViolation)
        log::error("%s:%d - cid:%llu - Client parser ERROR", c->remote_ip.c_str(), c->remote_port,
                   static_cast<unsigned long long>(c->cid));
      if (r.err == proto::ErrCode::AuthViolation && c->type == ConnType::Client) {
        session_.auth_violation(c);  // nats' authViolation: its log line, -ERR, close
        return len;
      }
      conns_.send_err(c, r.err);
      return len;
  }
  return len;
}

// A connection closed by an earlier operation in the same buffer takes no
// more: the parser's hold lets SUB/UNSUB through, and neither may add to the
// index for a connection that is going away.
Flow Shard::on_op(Conn* c, proto::Op op, std::string_view args) {
  if (c->closing()) return Flow::Stop;
  if (c->type == ConnType::Client) return session_.on_op(c, op, args);
  if (auto* cl = srv_.cluster()) return cl->route_op(*this, c, op, args);
  return Flow::Stop;
}

Flow Shard::on_msg_args(Conn* c, const MsgArgs& m) {
  if (c->closing()) return Flow::Stop;
  if (c->type == ConnType::Client) return session_.on_pub_args(c, m);
  if (auto* cl = srv_.cluster()) return cl->route_msg_args(*this, c, m);
  return Flow::Continue;
}

// A payload split across receives is assembled once, in a block that the
// deliveries then reference.
char* Shard::payload_storage(Conn* c, const MsgArgs& m) {
  if (c->storage) c->storage->unref();
  c->storage = Block::make(static_cast<size_t>(m.size) + 2);
  c->storage->len = static_cast<uint32_t>(m.size + 2);
  c->storage->data[m.size] = '\r';
  c->storage->data[m.size + 1] = '\n';
  return c->storage->data;
}

Flow Shard::on_msg(Conn* c, const MsgArgs& m, std::string_view payload, bool stored) {
  Block* storage = stored ? c->storage : nullptr;
  bool reached_slow = false;
  const std::atomic<bool>* slow_peer = nullptr;
  ++c->in_msgs;
  c->in_bytes += static_cast<uint64_t>(m.size);
  c->last_activity_ns = now_ns_;
  if (c->type == ConnType::Client) {
    if (log::trace_enabled()) trace::payload(*c, payload);
    // Permissions (only clients of a user that has them pay more than this
    // null check): a forbidden message is dropped, with an -ERR and no +OK.
    bool allowed = !c->perms || !c->perms->compiled().pub_restricted() || session_.publish_allowed(c, m.subject);
    if (allowed) {
      if (c->verbose) {
        c->out.append("+OK\r\n");
        conns_.mark_dirty(c);
      }
      fanout_.publish(c, c->account, m, payload, storage);
      reached_slow = fanout_.reached_slow_subscriber();
      slow_peer = fanout_.reached_slow_peer();
    }
  } else if (uint32_t acc = srv_.accounts().find(m.account); acc == kNoAccount) {
    // An account we do not host; nats drops and logs it.
    log::debug("%s:%d - rid - Unknown account \"%.*s\" for routed message on subject \"%.*s\"",
               c->remote_ip.c_str(), c->remote_port, static_cast<int>(m.account.size()),
               m.account.data(), static_cast<int>(m.subject.size()), m.subject.data());
  } else {
    // Route: reply and queue groups split as nats splits them (the cluster
    // layer's route_msg_args checked the line before the payload was read).
    proto::RoutedMsgArgs ra;
    proto::parse_routed_msg(m.op == proto::Op::Hmsg   ? proto::RoutedOp::Hmsg
                            : m.op == proto::Op::Lmsg ? proto::RoutedOp::Lmsg
                                                      : proto::RoutedOp::Rmsg,
                            m.args, ra);
    MsgArgs local = m;
    local.reply = ra.reply;
    // nats' JetStream delivery from a peer: "$JS.ACK...@<subject shown>".
    if (local.reply.starts_with("$JS.ACK.")) {
      size_t at = local.reply.rfind('@');
      if (at != std::string_view::npos && at + 1 < local.reply.size()) {
        local.shown_subject = local.reply.substr(at + 1);
        local.reply = local.reply.substr(0, at);
      }
    }
    fanout_.publish(c, acc, local, payload, storage, ra.queues);
  }
  if (stored) {
    c->storage->unref();
    c->storage = nullptr;
  }
  // Fast producer: stop reading it while it reaches a subscriber past half
  // its max_pending (nats-server stalls it the same way; a peer shard asks
  // with a StallConn record), or while our links to peers back up.
  if (reached_slow) stall(c, false);
  // The subscriber's shard still asks (StallConn) and releases as before;
  // stalling here at once keeps what is already read from piling onto it.
  if (slow_peer) {
    stall(c, true);
    c->stalled_on = slow_peer;
  }
  if (links_.over_caps() && !c->throttled) {
    ++stats_.link_throttles;
    throttle(c);
  }
  return c->throttled ? Flow::Pause : Flow::Continue;
}

// --------------------------------------------------------------------------
// Connection events (ConnTable)

void Shard::conn_opened(Conn* c) {
  if (c->type != ConnType::Client) return;
  session_.opened(c);
  if (const tls::Context* t = srv_.client_tls(); t && !c->closing()) start_tls(c, *t, std::string());
}

void Shard::conn_closing(Conn* c, ErrCode why) {
  if (c->internal) {
    subs_.unsubscribe_all(c);
    return;
  }
  stats_.closed_in_msgs += c->in_msgs;
  stats_.closed_in_bytes += c->in_bytes;
  stats_.closed_out_msgs += c->out_msgs;
  stats_.closed_out_bytes += c->out_bytes;
  if (why == ErrCode::SlowConsumer) ++stats_.slow_consumers;
  if (c->throttled) {
    throttled_.erase(std::remove(throttled_.begin(), throttled_.end(), c), throttled_.end());
    c->throttled = false;
  }
  if (c->type == ConnType::Route) {
    if (auto* cl = srv_.cluster()) cl->route_closed(*this, c);
  } else {
    if (c->auth_cancel) c->auth_cancel->store(true, std::memory_order_relaxed);  // drop its queued bcrypt check
    session_.closing(c, why);
    if (auto* mon = srv_.monitor()) mon->client_closing(*this, *c, why);
  }
  // Later deliveries find its subscriptions gone.
  subs_.unsubscribe_all(c);
}

// --------------------------------------------------------------------------
// Records from peer shards, in FIFO order per peer

void Shard::handle_rec(Rec& r, int src) {
  switch (r.kind) {
    case RecKind::Deliver:
      fanout_.on_deliver(r, src);
      return;
    case RecKind::DeliverConn:
      fanout_.on_deliver_conn(r, src);
      return;
    case RecKind::BatchDone:
      links_.discharge(src, r.block->cap);
      r.block->unref();
      return;
    case RecKind::SubAdd:
    case RecKind::SubRemove:
      subs_.apply(r);
      return;
    case RecKind::SubAck: {
      Conn* c = conns_.at(r.slot, r.gen);
      if (!c || c->closing() || --c->pending_acks > 0) return;
      if (c->internal) {
        if (auto* js = srv_.jetstream()) js->internal_subs_ready(*this, c);
        return;
      }
      c->parser.set_hold(false);
      if (c->parked && !c->throttled) resume_parked(c);
      return;
    }
    case RecKind::StallConn:
      if (Conn* c = conns_.at(r.slot, r.gen)) stall(c, true);
      return;
    case RecKind::StallRelease:
      end_stalls(kStallPeer);
      return;
    case RecKind::NewConn:
      conns_.open(static_cast<int>(r.slot), ConnType::Client);
      return;
    case RecKind::Control: {
      auto* fn = static_cast<std::function<void(Shard&)>*>(r.ctl);
      (*fn)(*this);
      delete fn;
      return;
    }
  }
}

}  // namespace ringnats
