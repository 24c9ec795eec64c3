// A connection's TLS over memory BIOs (see session.h). Everything here runs
// on the owning shard's thread; OpenSSL is only ever handed bytes already in
// memory, so no call can block.
#include "tls/session.h"

#include "tls/go_x509_strings.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>
#include <cstring>

namespace ringnats::tls {

namespace {
constexpr size_t kPlainBuf = 64 * 1024;  // up to four full records per parse
constexpr size_t kStage = 16 * 1024;     // small writes are gathered into one record

bool is_ip(const std::string& h) {
  unsigned char buf[16];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}
}  // namespace

std::unique_ptr<Session> Session::create(const Context& ctx, const std::string& verify_host, std::string& err) {
  std::unique_ptr<Session> s(new Session);
  s->role_ = ctx.role();
  s->ssl_ = SSL_new(ctx.ctx());
  if (!s->ssl_) {
    err = "SSL_new failed";
    ERR_clear_error();
    return nullptr;
  }
  s->rbio_ = BIO_new(BIO_s_mem());
  s->wbio_ = BIO_new(BIO_s_mem());
  if (!s->rbio_ || !s->wbio_) {
    if (s->rbio_) BIO_free(s->rbio_);
    if (s->wbio_) BIO_free(s->wbio_);
    s->rbio_ = s->wbio_ = nullptr;
    err = "BIO_new failed";
    return nullptr;
  }
  // An empty input BIO means "wait for more", not end of stream.
  BIO_set_mem_eof_return(s->rbio_, -1);
  SSL_set_bio(s->ssl_, s->rbio_, s->wbio_);
  watch_for_kernel(s->ssl_, s.get());
  if (ctx.role() == Role::Server) {
    SSL_set_accept_state(s->ssl_);
  } else {
    SSL_set_connect_state(s->ssl_);
    if (!verify_host.empty() && !ctx.options().insecure) {
      if (is_ip(verify_host)) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl_), verify_host.c_str());
      } else {
        SSL_set1_host(s->ssl_, verify_host.c_str());
        SSL_set_tlsext_host_name(s->ssl_, verify_host.c_str());
      }
    }
  }
  return s;
}

Session::~Session() {
  if (ssl_) SSL_free(ssl_);  // frees both BIOs
  OPENSSL_cleanse(client_secret_, sizeof(client_secret_));  // a session closed before the kTLS hand-off
  OPENSSL_cleanse(server_secret_, sizeof(server_secret_));
}

void Session::put_cipher(const char* p, size_t n) {
  while (n > 0) {
    int w = BIO_write(rbio_, p, static_cast<int>(std::min<size_t>(n, INT_MAX)));
    if (w <= 0) return;
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void Session::set_error_from_queue(int ssl_err) {
  unsigned long code = ERR_peek_last_error();
  int reason = ERR_GET_REASON(code);
  if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
    error_ = "tls: client didn't provide a certificate";
  } else if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
    long v = SSL_get_verify_result(ssl_);
    error_ = role_ == Role::Server ? "tls: failed to verify client certificate: x509: " : "x509: ";
    error_.append(X509_verify_cert_error_string(v));
  } else if (code != 0) {
    const char* r = ERR_reason_error_string(code);
    error_ = "tls: ";
    error_.append(r ? r : "handshake failure");
  } else if (ssl_err == SSL_ERROR_SYSCALL || ssl_err == SSL_ERROR_ZERO_RETURN) {
    error_ = "EOF";
  } else {
    error_ = "tls: handshake failure";
  }
  ERR_clear_error();
}

Session::Hs Session::handshake() {
  if (established_) return Hs::Done;
  int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    established_ = true;
    tx_at_established_ = BIO_number_written(wbio_);
    return Hs::Done;
  }
  int e = SSL_get_error(ssl_, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return Hs::More;
  set_error_from_queue(e);
  return Hs::Failed;
}

long Session::decrypt() {
  if (plain_off_ == plain_len_) plain_off_ = plain_len_ = 0;
  if (!plain_) plain_.reset(new char[kPlainBuf]);
  long added = 0;
  while (plain_len_ < kPlainBuf) {
    size_t got = 0;
    int r = SSL_read_ex(ssl_, plain_.get() + plain_len_, kPlainBuf - plain_len_, &got);
    if (r == 1) {
      plain_len_ += got;
      added += static_cast<long>(got);
      continue;
    }
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
    if (e != SSL_ERROR_ZERO_RETURN) set_error_from_queue(e);
    else error_ = "EOF";
    ERR_clear_error();
    if (added == 0) return -1;
    break;  // what was decrypted is delivered; the next call reports the end
  }
  return added;
}

void Session::consumed(size_t n) {
  plain_off_ += n;
  if (plain_off_ >= plain_len_) plain_off_ = plain_len_ = 0;
}

size_t Session::encrypt(const iovec* iov, int n, size_t max) {
  // Small pieces (a MSG line, a short payload) are gathered into one record
  // instead of one record (and one AEAD call) each.
  char stage[kStage];
  size_t staged = 0, taken = 0;
  // Into a memory BIO a write never waits, but it may return after part of
  // the bytes (one record at a time): go on until all are in.
  auto write_all = [&](const char* p, size_t len) -> bool {
    while (len > 0) {
      size_t w = 0;
      if (SSL_write_ex(ssl_, p, len, &w) != 1) return false;
      p += w;
      len -= w;
    }
    return true;
  };
  auto flush_stage = [&]() -> bool {
    if (staged && !write_all(stage, staged)) return false;
    staged = 0;
    return true;
  };
  for (int i = 0; i < n && taken < max; ++i) {
    const char* p = static_cast<const char*>(iov[i].iov_base);
    size_t len = std::min(iov[i].iov_len, max - taken);
    if (len >= kStage) {
      if (!flush_stage()) return taken;
      if (!write_all(p, len)) return taken;
      taken += len;
      continue;
    }
    if (staged + len > kStage && !flush_stage()) return taken - staged;
    std::memcpy(stage + staged, p, len);
    staged += len;
    taken += len;
  }
  if (!flush_stage()) return taken - staged;
  ERR_clear_error();
  return taken;
}

void Session::collect() {
  size_t pend = BIO_ctrl_pending(wbio_);
  if (pend == 0) return;
  if (out_off_ == out_len_) out_off_ = out_len_ = 0;
  if (out_.size() < out_len_ + pend) out_.resize(out_len_ + pend);
  int r = BIO_read(wbio_, out_.data() + out_len_, static_cast<int>(pend));
  if (r > 0) out_len_ += static_cast<size_t>(r);
}

bool Session::cipher_pending() const { return out_off_ < out_len_ || BIO_ctrl_pending(wbio_) > 0; }

void Session::cipher_sent(size_t n) {
  out_off_ += n;
  if (out_off_ >= out_len_) out_off_ = out_len_ = 0;
}

void Session::trim() {
  if (plain_off_ == plain_len_) plain_.reset();
  SSL_free_buffers(ssl_);  // does nothing while they hold data
  if (out_off_ == out_len_ && !out_.empty()) std::vector<char>().swap(out_);
}

void Session::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (ktx_ == Kernel::On) kernel_send_close_notify(kfd_);
  else if (established_) SSL_shutdown(ssl_);
  ERR_clear_error();
}

bool Session::peer_names(auth::CertIdentity& out) const {
  out = auth::CertIdentity{};
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (!cert) return false;
  if (!go_parses_names(cert)) {  // verified peers never get here with one
    X509_free(cert);
    return false;
  }
  auto bytes = [](const ASN1_STRING* s) {
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<size_t>(ASN1_STRING_length(s)));
  };
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
    if (g->type == GEN_EMAIL) out.emails.push_back(bytes(g->d.rfc822Name));
    else if (g->type == GEN_DNS) out.dns.push_back(bytes(g->d.dNSName));
    else if (g->type == GEN_URI) out.uris.push_back(bytes(g->d.uniformResourceIdentifier));
  }
  if (sans) GENERAL_NAMES_free(sans);
  // The subject as encoded: one vector per RDN set, in DER order.
  const X509_NAME* name = X509_get_subject_name(cert);
  int last_set = -1;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    if (X509_NAME_ENTRY_set(e) != last_set) {
      out.subject.emplace_back();
      last_set = X509_NAME_ENTRY_set(e);
    }
    auth::SubjectAttr a;
    char oid[128];
    int n = OBJ_obj2txt(oid, sizeof(oid), X509_NAME_ENTRY_get_object(e), 1);
    if (n > 0 && static_cast<size_t>(n) < sizeof(oid)) a.oid = oid;
    a.is_string = go_name_value(X509_NAME_ENTRY_get_data(e), a.value);
    out.subject.back().push_back(std::move(a));
  }
  X509_free(cert);
  ERR_clear_error();
  return true;
}

std::string Session::describe() const {
  std::string v = SSL_get_version(ssl_);
  if (v.rfind("TLSv", 0) == 0) v = v.substr(4);
  std::string out = "TLS version ";
  out.append(v);
  out.append(", cipher suite ");
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_);
  const char* n = c ? SSL_CIPHER_standard_name(c) : nullptr;
  out.append(n ? n : "unknown");
  return out;
}

}  // namespace ringnats::tls
