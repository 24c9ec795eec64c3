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
  ClientSession(Server& srv, int shard_id, ConnTable& conns, SubTable& subs, const int64_t& now);

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
  void send_info(Conn* c, bool first = false);
  // After a reload: close the clients that no longer pass (nats does), and
  // give the others their user's new permissions.
  void recheck_auth(Conn* c);
  // A bcrypt check of `c` came back from the auth workers (client_auth.cc):
  // finish its CONNECT (or, `recheck`, a reload's check). False when `c`
  // is closing afterwards.
  bool auth_checked(Conn* c, bool ok, const std::string& user, const std::string& hash, bool has_account,
                    bool recheck);
  // A first operation other than CONNECT: with no_auth_user configured the
  // client is that user (nats' telnet case); false when it must fail.
  bool login_without_connect(Conn* c);
  // nats' authViolation: the log line, -ERR 'Authorization Violation', close.
  void auth_violation(Conn* c);

 private:
  proto::Flow connect(Conn* c, std::string_view args);
  // What follows a successful authentication in CONNECT.
  proto::Flow finish_connect(Conn* c, bool has_account);
  // client_auth.cc
  enum class AuthStep { Ok, Fail, Pending };
  AuthStep authenticate(Conn* c, std::string_view sig, bool has_account, bool recheck);
  AuthStep map_certificate(Conn* c, bool recheck);
  AuthStep check_secret(Conn* c, const std::string& stored, const std::string& given, const User* u,
                        bool has_account, bool recheck);
  bool register_user(Conn* c, const User* u, const std::string& secret);
  void recheck_subs(Conn* c);
  bool submit_bcrypt(Conn* c, const std::string& hash, const std::string& given, const std::string& user,
                     bool has_account, bool recheck);
  // Permissions (client_auth.cc): -ERR and log line as nats.
  void sub_violation(Conn* c, std::string_view subject, std::string_view queue, std::string_view sid);
  void pub_violation(Conn* c, std::string_view subject);
 public:
  // A PUB/HPUB whose payload has arrived: false (and the -ERR sent) when the
  // connection's permissions forbid it. Only called when c->perms is set.
  bool publish_allowed(Conn* c, std::string_view subject);

 private:
  proto::Flow sub(Conn* c, std::string_view args);
  proto::Flow unsub(Conn* c, std::string_view args);
  void ok(Conn* c);

  Server& srv_;
  int shard_id_;
  ConnTable& conns_;
  SubTable& subs_;
  const int64_t& now_;
};

}  // namespace ringnats
