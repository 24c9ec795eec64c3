// The client protocol on a shard: the INFO a new client gets, CONNECT
// (options and authentication), SUB, UNSUB, PING/PONG, the checks on a PUB's
// control line, and a client's timers (pings, auth timeout, write deadline).
// What a subscription does in the index is SubTable's; what a message does
// is Fanout's. Only the owning shard's thread.
#pragma once

#include <string_view>

#include "config/security_options.h"
#include "core/conn.h"
#include "proto/parser.h"

namespace ringnats {

class Server;
class ConnTable;
class SubTable;

class ClientSession {
 public:
  // `now` is the shard's turn clock.
  ClientSession(Server& srv, ConnTable& conns, SubTable& subs, const int64_t& now);

  // A client connection was accepted: INFO, the connection limit, timers.
  void opened(Conn* c);
  // It is closing (logged as nats-server does).
  void closing(Conn* c, proto::ErrCode why);
  // Every operation but PUB/HPUB.
  proto::Flow on_op(Conn* c, proto::Op op, std::string_view args);
  // A PUB/HPUB control line, before its payload is read.
  proto::Flow on_pub_args(Conn* c, const proto::MsgArgs& m);
  // Ping, authentication-timeout and write-deadline checks, every 100 ms.
  void tick(Conn* c, int64_t now);
  void send_info(Conn* c);
  // Whether `c`'s CONNECT credentials pass the current authorization.
  // The configured user `c` logged in as (its CONNECT credentials), or null.
  const User* find_user(const Conn& c) const;
  bool authorized(const Conn& c) const;
  // After a reload: close the clients that no longer pass (nats does).
  void recheck_auth(Conn* c);

 private:
  proto::Flow connect(Conn* c, std::string_view args);
  proto::Flow sub(Conn* c, std::string_view args);
  proto::Flow unsub(Conn* c, std::string_view args);
  void ok(Conn* c);

  Server& srv_;
  ConnTable& conns_;
  SubTable& subs_;
  const int64_t& now_;
};

}  // namespace ringnats
