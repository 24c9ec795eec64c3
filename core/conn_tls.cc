// The TLS seam in core: where a connection with a tls::Session takes its
// received ciphertext (Shard::tls_recv, instead of parsing the receive
// buffer) and where its output becomes ciphertext (ConnTable::flush_tls,
// instead of a gathered sendmsg of its OutBuf), until the kernel takes a
// direction over (kTLS, tls/ktls.h): that direction is then the plain path.
// Plain connections never get here: their only cost is the null check of
// Conn::tls. Only the owning shard's thread; the session is freed in
// ConnTable::release.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/conn_table.h"
#include "core/go_text.h"
#include "core/log.h"
#include "core/reactor.h"
#include "core/server.h"
#include "core/shard.h"

namespace ringnats {

namespace {

// Plaintext taken from the OutBuf per send: bounds the ciphertext a
// connection holds outside its OutBuf (where max_pending counts it).
constexpr size_t kTlsChunk = 64 * 1024;

std::string prefix(const Conn* c) {
  std::string p = c->remote_ip;
  p.append(":");
  p.append(std::to_string(c->remote_port));
  p.append(c->type == ConnType::Client ? " - cid:" : " - rid:");
  p.append(std::to_string(c->type == ConnType::Client ? c->cid : c->rid));
  return p;
}

std::string local_addr(int fd) {
  sockaddr_storage ss{};
  socklen_t sl = sizeof(ss);
  char ip[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &sl) == 0) {
    if (ss.ss_family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
      port = ntohs(a->sin_port);
    } else if (ss.ss_family == AF_INET6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
      port = ntohs(a->sin6_port);
    }
  }
  std::string out = ip;
  out.append(":");
  out.append(std::to_string(port));
  return out;
}

// Go's "read tcp local->remote: <error>".
std::string read_error(const Conn* c, const char* what) {
  std::string e = "read tcp ";
  e.append(local_addr(c->fd));
  e.append("->");
  e.append(c->remote_ip);
  e.append(":");
  e.append(std::to_string(c->remote_port));
  e.append(": ");
  e.append(what);
  return e;
}

}  // namespace

// --------------------------------------------------------------------------
// Shard: handshake and input

void Shard::start_tls(Conn* c, const tls::Context& ctx, const std::string& verify_host) {
  std::string err;
  std::unique_ptr<tls::Session> s = tls::Session::create(ctx, verify_host, err);
  if (!s) {
    log::error("%s - TLS handshake error: %s", prefix(c).c_str(), err.c_str());
    conns_.close(c, proto::ErrCode::TlsHandshake);
    return;
  }
  s->deadline_ns = now_ns_ + ctx.options().timeout_ns;
  // A client gets its INFO (and any -ERR queued with it) in plain text
  // first, as nats-server 2.9 does; a route starts with the handshake.
  s->plain_prefix = c->type == ConnType::Client ? c->out.pending() : 0;
  c->tls = std::move(s);
  if (c->type == ConnType::Client)
    log::debug("%s - Starting TLS client connection handshake", prefix(c).c_str());
  else
    log::debug("%s - Starting TLS route %s handshake", prefix(c).c_str(),
               ctx.role() == tls::Role::Client ? "client" : "server");
  if (ctx.role() == tls::Role::Client) {
    c->tls->handshake();  // the ClientHello
    conns_.mark_dirty(c);
  }
}

void Shard::tls_fail(Conn* c, const std::string& why) {
  if (c->type == ConnType::Client)
    log::error("%s - TLS handshake error: %s", prefix(c).c_str(), why.c_str());
  else
    log::error("%s - TLS route handshake error: %s", prefix(c).c_str(), why.c_str());
  conns_.close(c, proto::ErrCode::TlsHandshake);
  conns_.release(c);
}

void Shard::tls_recv_end(Conn* c, int res) {
  if (res == 0) {
    tls_fail(c, "EOF");
    return;
  }
  tls_fail(c, read_error(c, go_errno_text(-res).c_str()));
}

void Shard::tls_recv(Conn* c, uint16_t bid, uint32_t len) {
  tls::Session& t = *c->tls;
  const char* data = reactor_.buffer(bid);
  if (!t.first_byte_seen) {
    t.first_byte_seen = true;
    // A plain-text client (CONNECT instead of a ClientHello) gets nats'
    // words and no alert; with allow_non_tls it goes on in plain text.
    if (t.role() == tls::Role::Server && static_cast<unsigned char>(data[0]) != 0x16) {
      if (c->type == ConnType::Client && srv_.opts().security.tls.allow_non_tls) {
        plain_after_all(c);
        feed_buffer(c, bid, 0, len);
        return;
      }
      reactor_.give_back(bid);
      tls_fail(c, "tls: first record does not look like a TLS handshake");
      return;
    }
  }
  t.put_cipher(data, len);
  reactor_.give_back(bid);
  tls_pump(c);
}

void Shard::tls_established(Conn* c) {
  tls::Session& t = *c->tls;
  log::debug("%s - TLS handshake complete", prefix(c).c_str());
  log::debug("%s - %s", prefix(c).c_str(), t.describe().c_str());
  if (c->type == ConnType::Client) {
    // nats starts the auth and ping timers after the handshake.
    if (c->auth_deadline_ns) c->auth_deadline_ns = now_ns_ + srv_.opts().auth_timeout_ns;
    c->next_ping_ns += now_ns_ - c->created_ns;
  }
  if (!c->out.empty() || t.cipher_pending()) conns_.mark_dirty(c);
}

// Handshake, then decrypt and parse until the ciphertext received so far is
// used up, the parser pauses (the rest stays in the session's plaintext
// buffer, like a held receive buffer), or the connection is throttled.
void Shard::tls_pump(Conn* c) {
  tls::Session& t = *c->tls;
  if (!t.established()) {
    tls::Session::Hs h = t.handshake();
    if (t.cipher_pending()) conns_.mark_dirty(c);
    if (h == tls::Session::Hs::Failed) {
      tls_fail(c, t.error());
      return;
    }
    if (h == tls::Session::Hs::More) {
      if (!c->recv_armed && !c->closing()) conns_.arm_recv(c);
      return;
    }
    tls_established(c);
  }
  for (;;) {
    if (t.has_plain()) {
      std::string_view p = t.plain();
      size_t used = feed(c, p.data(), p.size());
      t.consumed(used);
      if (used < p.size() && !c->closing()) return;  // paused: resume_parked goes on
    }
    if (c->closing()) {
      conns_.release(c);
      return;
    }
    if (c->parked || c->throttled) return;
    long n = t.decrypt();
    if (t.cipher_pending()) conns_.mark_dirty(c);  // a post-handshake reply
    if (n > 0) continue;
    if (n < 0) {
      conns_.close(c, proto::ErrCode::None);
      conns_.release(c);
      return;
    }
    break;
  }
  // No receive in flight and every record so far decrypted: the kernel may
  // take the receiving side now (on_recv then parses its plaintext directly).
  if (!c->recv_armed && !t.kernel_rx() && t.try_kernel_rx(c->fd))
    log::debug("%s - TLS receiving handed to the kernel", prefix(c).c_str());
  if (!c->recv_armed) conns_.arm_recv(c);
}

// allow_non_tls: the client did not start a handshake. Its INFO (the plain
// prefix) may still be in flight: that send completes as a plain one.
void Shard::plain_after_all(Conn* c) {
  log::debug("%s - Client connection is not TLS", prefix(c).c_str());
  c->tls.reset();
  if (!c->out.empty()) conns_.mark_dirty(c);
}

bool Shard::tls_timer(Conn* c) {
  tls::Session& t = *c->tls;
  if (t.established()) {
    // An idle connection gives its buffers back.
    if (!c->send_inflight && !t.has_plain() && !t.cipher_pending() && now_ns_ - c->last_in_ns > 1'000'000'000)
      t.trim();
    return false;
  }
  if (now_ns_ >= t.deadline_ns) {
    // nats with allow_non_tls waits that long for a first byte, then takes
    // the client as a plain one.
    if (c->type == ConnType::Client && !t.first_byte_seen && srv_.opts().security.tls.allow_non_tls) {
      plain_after_all(c);
      return false;
    }
    tls_fail(c, read_error(c, "i/o timeout"));
    log::error("%s - TLS handshake timeout", prefix(c).c_str());
  }
  return true;
}

// --------------------------------------------------------------------------
// ConnTable: output

bool ConnTable::more_out(const Conn* c) const {
  if (!c->tls || c->tls->kernel_tx()) return !c->out.empty();
  const tls::Session& t = *c->tls;
  if (t.cipher_pending()) return true;
  if (c->out.empty()) return false;
  return t.plain_prefix > 0 || t.established();
}

void ConnTable::flush_tls(Conn* c) {
  if (c->send_inflight || c->state == ConnState::Closed || c->state == ConnState::Free) return;
  tls::Session& t = *c->tls;
  const uint64_t tag = ud(Ud::Send, c->slot, c->gen);
  // Only the INFO (and an -ERR with it) can be queued before the handshake:
  // nothing else reaches a client before its CONNECT, which comes inside TLS.
  if (t.plain_prefix > 0) {
    if (!c->out.empty()) {
      began_send(c, reactor_.send(c->fd, c->out, tag));
      return;
    }
    t.plain_prefix = 0;
  }
  if (t.established() && t.cipher_len() == 0 && t.kernel_tx_undecided()) {
    // The handshake's last flight leaves in user space first; then the
    // kernel may take the sending side, before any application record.
    t.collect();
    if (t.cipher_len() == 0 && t.try_kernel_tx(c->fd))
      log::debug("%s - TLS sending handed to the kernel", prefix(c).c_str());
  }
  if (t.kernel_tx()) {
    if (c->out.empty()) return;
    began_send(c, reactor_.send(c->fd, c->out, tag));
    return;
  }
  if (t.cipher_len() == 0) {
    if (t.established() && !c->out.empty()) {
      size_t budget = kTlsChunk;
      while (budget > 0 && !c->out.empty()) {
        iovec iov[64];
        int n = c->out.fill_iov(iov, 64);
        size_t took = t.encrypt(iov, n, budget);
        if (took == 0) break;
        c->out.consume(took);
        budget -= std::min(took, budget);
      }
      note_pending(c);
    }
    if (c->state == ConnState::Draining && c->out.empty() && t.established()) t.shutdown();
    t.collect();
  }
  if (t.cipher_len() == 0) return;
  reactor_.send_raw(c->fd, t.cipher(), t.cipher_len(), tag);
  began_send(c, SendShape{1, t.cipher_len()});
}

void ConnTable::sent_tls(Conn* c, size_t n) {
  tls::Session& t = *c->tls;
  if (t.plain_prefix > 0) {
    c->out.consume(n);
    t.plain_prefix -= std::min(n, t.plain_prefix);
  } else if (t.kernel_tx()) {
    c->out.consume(n);
  } else {
    t.cipher_sent(n);
  }
}

}  // namespace ringnats
