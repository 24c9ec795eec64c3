// Client authentication and permission violations, as nats-server 2.9
// (auth.go processClientOrLeafAuthentication, client.go authViolation and
// the violation texts). Shard thread only; a bcrypt check goes to the auth
// workers (auth/auth_pool.h) and comes back through Shard::post to
// Shard::auth_checked, which finds the connection again by (slot, gen).
#include <string>
#include <utility>
#include <vector>

#include "auth/cert_identity.h"
#include "auth/nkey_sig.h"
#include "auth/password.h"
#include "auth/user_index.h"
#include "config/conf.h"
#include "core/client_session.h"
#include "core/conn_table.h"
#include "core/log.h"
#include "tls/session.h"
#include "core/server.h"
#include "core/sub_table.h"
#include "core/trace.h"

namespace ringnats {

using proto::ErrCode;
using proto::Flow;

namespace {
unsigned long long id(const Conn* c) { return static_cast<unsigned long long>(c->cid); }

// nats' getAuthUser, for violation log lines.
std::string auth_user_desc(const Conn* c) {
  std::string s;
  if (!c->auth_nkey.empty()) return s.append("Nkey ").append(conf::go_quote(c->auth_nkey));
  if (!c->auth_user.empty()) return s.append("User ").append(conf::go_quote(c->auth_user));
  return "User \"N/A\"";
}
}  // namespace

void ClientSession::auth_violation(Conn* c) {
  const auth::UserIndex& ui = srv_.users();
  if (ui.has_nkeys()) {
    log::error("%s:%d - cid:%llu - authentication error - Nkey %s", c->remote_ip.c_str(), c->remote_port, id(c),
               conf::go_quote(c->auth_nkey).c_str());
  } else if (ui.has_users()) {
    log::error("%s:%d - cid:%llu - authentication error - User %s", c->remote_ip.c_str(), c->remote_port, id(c),
               conf::go_quote(c->auth_user).c_str());
  } else {
    log::error("%s:%d - cid:%llu - authentication error", c->remote_ip.c_str(), c->remote_port, id(c));
  }
  conns_.send_err(c, ErrCode::AuthViolation);
}

bool ClientSession::register_user(Conn* c, const User* u, const std::string& secret) {
  c->auth_secret = secret;
  if (!u) {
    c->account = kGlobalAccount;
    c->perms.reset();
    return true;
  }
  uint32_t acc = srv_.accounts().find(u->account.empty() ? std::string_view("$G") : std::string_view(u->account));
  if (acc == kNoAccount) return false;  // fail closed
  c->account = acc;
  auto cp = srv_.users().perms_of(*u);
  if (cp) c->perms = std::make_unique<auth::ConnPerms>(std::move(cp));
  else c->perms.reset();
  return true;
}

ClientSession::AuthStep ClientSession::authenticate(Conn* c, std::string_view sig, bool has_account, bool recheck) {
  const auth::UserIndex& ui = srv_.users();
  const Options& o = srv_.opts();
  if (ui.has_nkeys() && !c->auth_nkey.empty()) {
    const User* u = ui.by_nkey(c->auth_nkey);
    if (!u || !auth::standard_connection_allowed(*u)) return AuthStep::Fail;
    // A reload's recheck: the signature of our nonce was verified at login.
    if (!recheck && !auth::verify_nonce_sig(c->auth_nkey, c->nonce, sig)) return AuthStep::Fail;
    return register_user(c, u, {}) ? AuthStep::Ok : AuthStep::Fail;
  }
  if (ui.has_users() && o.security.tls.verify_and_map) return map_certificate(c, recheck);
  if (ui.has_users()) {
    if (c->auth_user.empty() && c->auth_pass.empty() && c->auth_token.empty()) {
      // nats puts the no_auth_user's name and stored password in place of
      // the missing ones; we log the user in without comparing the stored
      // password with itself (which fails in nats for a bcrypt one).
      if (const User* u = ui.no_auth_user()) {
        if (!auth::standard_connection_allowed(*u)) return AuthStep::Fail;
        if (!recheck) c->auth_user = u->name;
        return register_user(c, u, u->password) ? AuthStep::Ok : AuthStep::Fail;
      }
    }
    if (recheck && c->auth_user.empty() && !c->auth_secret.empty()) {
      // Logged in as the no_auth_user without CONNECT (telnet style).
      if (const User* u = ui.no_auth_user())
        return register_user(c, u, u->password) ? AuthStep::Ok : AuthStep::Fail;
      return AuthStep::Fail;
    }
    if (!c->auth_user.empty()) {
      const User* u = ui.by_name(c->auth_user);
      if (!u || !auth::standard_connection_allowed(*u)) return AuthStep::Fail;
      return check_secret(c, u->password, c->auth_pass, u, has_account, recheck);
    }
  }
  if (!o.auth_token.empty()) return check_secret(c, o.auth_token, c->auth_token, nullptr, has_account, recheck);
  if (!o.username.empty()) {
    if (c->auth_user != o.username) return AuthStep::Fail;
    return check_secret(c, o.password, c->auth_pass, nullptr, has_account, recheck);
  }
  return AuthStep::Fail;
}

// verify_and_map: the client's verified certificate names its user, in
// nats' order (auth/cert_identity.h): e-mails, DNS names, URIs, a user
// whose name is the subject's DN (RDNs in any order), then the subject's
// text. The CONNECT's user and password play no part.
ClientSession::AuthStep ClientSession::map_certificate(Conn* c, bool recheck) {
  auth::CertIdentity id;
  if (!c->tls || !c->tls->peer_names(id)) return AuthStep::Fail;
  const auth::UserIndex& ui = srv_.users();
  const User* u = nullptr;
  auth::map_certificate(id, [&](std::string_view name, const auth::Dn* dn, bool) {
    if (dn) u = ui.by_dn(*dn);
    else if (const User* named = name.empty() ? nullptr : ui.by_name(name))
      u = auth::standard_connection_allowed(*named) ? named : nullptr;
    return u != nullptr;
  });
  if (!u) return AuthStep::Fail;
  if (!recheck) {
    if (!c->auth_user.empty())  // a server-wide line in nats, without the client's prefix
      log::warn("User %s found in connect proto, but user required from cert", conf::go_quote(c->auth_user).c_str());
    c->auth_user = u->name;
  }
  return register_user(c, u, {}) ? AuthStep::Ok : AuthStep::Fail;
}

ClientSession::AuthStep ClientSession::check_secret(Conn* c, const std::string& stored, const std::string& given,
                                                    const User* u, bool has_account, bool recheck) {
  // Unchanged since it matched at login: no need to hash again.
  if (recheck && !c->auth_secret.empty() && stored == c->auth_secret)
    return register_user(c, u, stored) ? AuthStep::Ok : AuthStep::Fail;
  if (auth::is_bcrypt(stored)) {
    if (!submit_bcrypt(c, stored, given, u ? u->name : std::string(), has_account, recheck)) return AuthStep::Fail;
    return AuthStep::Pending;
  }
  if (!auth::equal_ct(stored, given)) return AuthStep::Fail;
  return register_user(c, u, stored) ? AuthStep::Ok : AuthStep::Fail;
}

bool ClientSession::submit_bcrypt(Conn* c, const std::string& hash, const std::string& given, const std::string& user,
                                  bool has_account, bool recheck) {
  auth::AuthPool::Job job;
  job.hash = hash;
  job.password = given;
  if (!c->auth_cancel) c->auth_cancel = std::make_shared<std::atomic<bool>>(false);
  job.cancel = c->auth_cancel;
  Server* srv = &srv_;
  int shard = shard_id_;
  uint32_t slot = c->slot, gen = c->gen;
  job.done = [srv, shard, slot, gen, user, hash, has_account, recheck](bool ok) {
    srv->shard(shard).post([=](Shard& sh) { sh.auth_checked(slot, gen, ok, user, hash, has_account, recheck); });
  };
  // Queue full: answered as a wrong password, never queued without bound.
  if (!srv_.auth_pool().submit(std::move(job))) return false;
  if (!recheck) c->auth_in_flight = true;
  return true;
}

bool ClientSession::auth_checked(Conn* c, bool ok, const std::string& user, const std::string& hash,
                                 bool has_account, bool recheck) {
  if (recheck && !c->connect_received) return true;
  const Options& o = srv_.opts();
  const User* u = nullptr;
  if (!user.empty()) {
    // A reload may have changed the user while the check ran: it must
    // still hold the hash we checked.
    u = srv_.users().by_name(user);
    ok = ok && u && u->password == hash;
  } else {
    ok = ok && ((!o.auth_token.empty() && o.auth_token == hash) ||
                (o.auth_token.empty() && !o.username.empty() && o.password == hash && c->auth_user == o.username));
  }
  if (ok) ok = register_user(c, u, hash);
  if (!ok) {
    auth_violation(c);
    return false;
  }
  if (recheck) {
    recheck_subs(c);
    return true;
  }
  return finish_connect(c, has_account) == Flow::Continue && !c->closing();
}

bool ClientSession::login_without_connect(Conn* c) {
  const User* u = srv_.users().no_auth_user();
  if (!u || !auth::standard_connection_allowed(*u) || !register_user(c, u, u->password)) return false;
  c->connect_received = true;
  c->auth_deadline_ns = 0;
  c->parser.set_require_connect(false);
  return true;
}

void ClientSession::recheck_auth(Conn* c) {
  if (c->closing() || c->auth_in_flight) return;  // an in-flight check rechecks against the new options
  if (!c->connect_received) {
    // Still in its handshake: it must now authenticate in time, or no
    // longer has to.
    if (srv_.auth_required() && !c->auth_deadline_ns) {
      c->parser.set_require_connect(srv_.opts().security.no_auth_user.empty());
      c->auth_deadline_ns = now_ + srv_.opts().auth_timeout_ns;
    } else if (!srv_.auth_required() && c->auth_deadline_ns) {
      c->parser.set_require_connect(false);
      c->auth_deadline_ns = 0;
    }
    return;
  }
  // nats keeps everyone (and their permissions) when auth is switched off.
  if (!srv_.auth_required()) return;
  switch (authenticate(c, {}, false, true)) {
    case AuthStep::Fail:
      auth_violation(c);
      return;
    case AuthStep::Ok:
      recheck_subs(c);
      return;
    case AuthStep::Pending:
      return;  // auth_checked rechecks the subscriptions
  }
}

// nats' processSubsOnConfigReload: subscriptions the new permissions no
// longer allow are removed, each with an -ERR and a log line.
void ClientSession::recheck_subs(Conn* c) {
  if (!c->perms || c->closing()) return;
  std::vector<std::pair<std::string, uint32_t>> removed;  // sid, slot
  for (const auto& [sid, slot] : c->subs) {
    const Sub& s = subs_[slot];
    bool can = c->perms->can_subscribe(s.subject, {});
    bool can_q = !s.queue.empty() && c->perms->can_subscribe(s.subject, s.queue);
    if (!can && !can_q) removed.emplace_back(sid, slot);
  }
  for (const auto& [sid, slot] : removed) {
    std::string subject = subs_[slot].subject;
    subs_.unsubscribe(c, slot);
    std::string line = "-ERR 'Permissions Violation for Subscription to ";
    line.append(conf::go_quote(subject)).append(" (sid ").append(conf::go_quote(sid)).append(")'");
    if (log::trace_enabled()) trace::out(*c, line);
    c->out.append(line.append("\r\n"));
    conns_.mark_dirty(c);
    log::notice("Removed sub %s (sid %s) for %s - not authorized", conf::go_quote(subject).c_str(),
                conf::go_quote(sid).c_str(), auth_user_desc(c).c_str());
  }
}

// ---------------------------------------------------------------------------
// Permissions

bool ClientSession::publish_allowed(Conn* c, std::string_view subject) {
  if (c->perms->can_publish(subject, now_)) return true;
  pub_violation(c, subject);
  return false;
}

void ClientSession::pub_violation(Conn* c, std::string_view subject) {
  std::string q = conf::go_quote(subject);
  std::string line = "-ERR 'Permissions Violation for Publish to ";
  line.append(q).append("'");
  if (log::trace_enabled()) trace::out(*c, line);
  c->out.append(line.append("\r\n"));
  conns_.mark_dirty(c);
  log::error("%s:%d - cid:%llu - Publish Violation - %s, Subject %s", c->remote_ip.c_str(), c->remote_port, id(c),
             auth_user_desc(c).c_str(), q.c_str());
}

void ClientSession::sub_violation(Conn* c, std::string_view subject, std::string_view queue, std::string_view sid) {
  std::string qs = conf::go_quote(subject);
  std::string line = "-ERR 'Permissions Violation for Subscription to ";
  line.append(qs);
  std::string who = auth_user_desc(c);
  std::string sids(sid);
  if (queue.empty()) {
    log::error("%s:%d - cid:%llu - Subscription Violation - %s, Subject %s, SID %s", c->remote_ip.c_str(),
               c->remote_port, id(c), who.c_str(), qs.c_str(), sids.c_str());
  } else {
    std::string qq = conf::go_quote(queue);
    line.append(" using queue ").append(qq);
    log::error("%s:%d - cid:%llu - Subscription Violation - %s, Subject %s, Queue: %s, SID %s",
               c->remote_ip.c_str(), c->remote_port, id(c), who.c_str(), qs.c_str(), qq.c_str(), sids.c_str());
  }
  line.append("'");
  if (log::trace_enabled()) trace::out(*c, line);
  c->out.append(line.append("\r\n"));
  conns_.mark_dirty(c);
}

}  // namespace ringnats
