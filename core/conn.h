// A connection owned by one shard: its socket state, parser, outbound queue,
// the client options from CONNECT, and its subscriptions (sid -> slot).
// Only the owning shard touches a Conn.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "auth/permissions.h"
#include "core/block.h"
#include "core/outbuf.h"
#include "proto/parser.h"
#include "tls/session.h"

namespace ringnats {

class Shard;

enum class ConnType : uint8_t { Client, Route };

// A subscription slot on the subscriber's shard. Deliveries name (slot, gen);
// the subscription names its connection by (slot, gen) too, so a slot reused
// by a later connection can never receive for it.
struct Sub {
  uint32_t gen = 0;
  bool alive = false;
  uint32_t conn_slot = 0, conn_gen = 0;
  std::string sid, subject, queue;
  uint64_t max = 0;        // 0 = no auto-unsubscribe
  uint64_t delivered = 0;
  uint16_t partition = 0;
  uint32_t account = 0;    // its connection's account: the index it lives in
  bool cluster_wide = false;  // an internal subscription announced to routes (kSubClusterWide)
  // Shadow entries in exporting accounts' indexes (stream imports): the
  // import id and the subject the shadow is filed under.
  std::vector<std::pair<uint32_t, std::string>> shadows;
};

// A connection's lifetime (core/conn_lifetime.cc is the only writer):
//   Open      reading and writing.
//   Draining  closed for input; what is queued (an -ERR) still goes out.
//   Closed    socket shut down; waiting for its receive/send completions.
//   Free      fd closed, slot released (reusable from the next turn).
// Every step moves forward only, so closing and freeing are idempotent.
enum class ConnState : uint8_t { Open, Draining, Closed, Free };

// Why a publisher is stalled (Conn::stalled_for).
inline constexpr uint8_t kStallLocal = 1, kStallPeer = 2;

struct Conn {
  explicit Conn(ConnType t, size_t max_control_line)
      : type(t), parser(t == ConnType::Client ? proto::ConnKind::Client : proto::ConnKind::Route,
                        max_control_line) {}

  ConnType type;
  uint32_t slot = 0, gen = 0;
  int fd = -1;
  // A server-side client (JetStream): no socket, no protocol; what its
  // subscriptions receive goes to JetStreamHooks::internal_msg.
  bool internal = false;
  uint64_t cid = 0;
  proto::Parser parser;
  OutBuf out;

  // Client options (nats defaults before CONNECT).
  bool verbose = true, pedantic = true, echo = true, headers = false, no_responders = false;
  int protocol = 0;
  bool connect_received = false;
  bool first_pong_sent = false;
  std::string name, lang, version;
  // Credentials from CONNECT, kept so a config reload can check them again,
  // as nats-server does (empty when the client sent none).
  std::string auth_user, auth_pass, auth_token, auth_nkey;
  std::string nonce;        // sent in INFO when nkey users exist; the nkey signs it
  std::string auth_secret;  // the stored password/token login matched (reload skips bcrypt if unchanged)
  bool auth_in_flight = false;  // a bcrypt check is on the auth workers; the parser is parked
  // Shared with the auth workers' queue: set on close so a queued check of
  // this connection is dropped unhashed.
  std::shared_ptr<std::atomic<bool>> auth_cancel;
  // Publish/subscribe permissions of the user (null: everything allowed, the
  // hot path's only cost).
  std::unique_ptr<auth::ConnPerms> perms;
  // The account this connection belongs to (AccountTable id; routes carry
  // the account on each message instead).
  uint32_t account = 0;
  std::string remote_ip;
  int remote_port = 0;

  // I/O state.
  bool recv_armed = false;   // a receive is outstanding
  bool send_inflight = false;
  ConnState state = ConnState::Open;
  bool closing() const { return state != ConnState::Open; }
  bool dirty = false;        // in the shard's flush list
  bool parked = false;       // parser held until pending SUB acks arrive
  bool throttled = false;    // reading stopped: rings backed up, or a subscriber stalls us
  bool over_half = false;    // outbound pending above max_pending/2: producers stall
  int64_t stall_deadline_ns = 0;  // a stalled publisher resumes by then regardless
  int64_t stall_until_ns = 0;     // fast-producer stall: held until then unless renewed
  uint8_t stalled_for = 0;        // kStallLocal | kStallPeer: whose subscribers it waits for
  // Whether this connection is past half its max_pending, for other shards
  // to read when they publish to it (ConnTable's cell for this slot).
  std::atomic<bool>* pressure = nullptr;
  // The cell of the subscriber on another shard this publisher was stalled
  // for at publish time: the stall may end as soon as it clears.
  const std::atomic<bool>* stalled_on = nullptr;
  // A paused connection keeps the rest of its receive buffer (by reference).
  int held_bid = -1;
  uint32_t held_off = 0, held_len = 0;
  // ... or a copy of it, when receive buffers run short.
  std::string held_copy;
  uint32_t held_copy_off = 0;
  // Receives of at most kPausedRecv: new connections, until one receive is
  // parsed through without a pause, and connections that paused while
  // buffers were short (one of a crowd of stalled publishers, whose unread
  // rests are copied out). A lone stalled publisher keeps whole receives.
  bool recv_capped = true;
  int pending_acks = 0;

  // Split payload being assembled (one copy), released after delivery.
  Block* storage = nullptr;

  // Timers (monotonic ns).
  int64_t created_ns = 0;
  int64_t last_in_ns = 0;
  int64_t next_ping_ns = 0;
  int64_t auth_deadline_ns = 0;  // 0 = none
  int64_t send_started_ns = 0;   // the in-flight send began (write_deadline)
  SendShape send_shape; // what it carries, for the slow-consumer log line
  int ping_out = 0;

  absl::flat_hash_map<std::string, uint32_t> subs;  // sid -> sub slot

  // Counters for monitoring, written by the owning shard only (plain
  // integers: nothing atomic on the message path), read through
  // Server::gather on the shard's own thread.
  uint64_t in_msgs = 0, in_bytes = 0, out_msgs = 0, out_bytes = 0;
  int64_t last_activity_ns = 0;  // last message in or out (nats' "last_activity")
  int64_t start_wall_ns = 0;     // wall clock at accept (nats' "start")
  int64_t rtt_ns = 0;            // from the last server PING to its PONG
  int64_t rtt_start_ns = 0;      // that PING went out (0: none outstanding)

  // Route peers (cluster layer) keep their own state behind this.
  void* route = nullptr;
  uint64_t rid = 0;  // a route's id in log lines (set by the cluster layer)

  // TLS (core/conn_tls.cc): null for plain TCP, which then pays nothing
  // but this null check. Freed in ConnTable::release, the one free path.
  std::unique_ptr<tls::Session> tls;
};

}  // namespace ringnats
