// Handing an established session's record layer to the kernel (see ktls.h):
// the key schedule's last step (RFC 8446 7.3), the socket options, and the
// Session's side of it: which records it has read since the handshake (the
// receive sequence number) and when a direction may change hands. Runs on
// the owning shard's thread, like the rest of the session.
#include "tls/ktls.h"

#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "tls/session.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

namespace ringnats::tls {

namespace {

std::atomic<bool> g_no_module{false};

// HKDF-Expand-Label(secret, label, "", len) with the suite's hash.
bool expand_label(const char* digest, const uint8_t* secret, size_t secret_len, const char* label,
                  uint8_t* out, size_t len) {
  uint8_t info[64];
  size_t ll = 6 + std::strlen(label);
  info[0] = static_cast<uint8_t>(len >> 8);
  info[1] = static_cast<uint8_t>(len);
  info[2] = static_cast<uint8_t>(ll);
  std::memcpy(info + 3, "tls13 ", 6);
  std::memcpy(info + 9, label, ll - 6);
  info[3 + ll] = 0;  // empty context
  size_t info_len = 4 + ll;
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (!kdf) return false;
  EVP_KDF_CTX* kctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (!kctx) return false;
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(secret), secret_len),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, info_len),
      OSSL_PARAM_construct_end()};
  bool ok = EVP_KDF_derive(kctx, out, len, params) == 1;
  EVP_KDF_CTX_free(kctx);
  return ok;
}

template <class Info>
void fill_gcm(KernelCrypto& k, uint16_t cipher) {
  Info info{};
  info.info.version = TLS_1_3_VERSION;
  info.info.cipher_type = cipher;
  std::memcpy(info.salt, k.iv, sizeof(info.salt));
  std::memcpy(info.iv, k.iv + sizeof(info.salt), sizeof(info.iv));
  std::memcpy(info.key, k.key, sizeof(info.key));
  for (int i = 0; i < 8; ++i) info.rec_seq[i] = static_cast<unsigned char>(k.seq >> (56 - 8 * i));
  static_assert(sizeof(Info) <= sizeof(k.sockopt));
  std::memcpy(k.sockopt, &info, sizeof(info));
  k.sockopt_len = sizeof(info);
  OPENSSL_cleanse(&info, sizeof(info));
}

void fill_chacha(KernelCrypto& k) {
  tls12_crypto_info_chacha20_poly1305 info{};
  info.info.version = TLS_1_3_VERSION;
  info.info.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
  std::memcpy(info.iv, k.iv, sizeof(info.iv));
  std::memcpy(info.key, k.key, sizeof(info.key));
  for (int i = 0; i < 8; ++i) info.rec_seq[i] = static_cast<unsigned char>(k.seq >> (56 - 8 * i));
  static_assert(sizeof(info) <= sizeof(k.sockopt));
  std::memcpy(k.sockopt, &info, sizeof(info));
  k.sockopt_len = sizeof(info);
  OPENSSL_cleanse(&info, sizeof(info));
}

int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

void keylog(const SSL* ssl, const char* line) {
  if (auto* s = static_cast<Session*>(SSL_get_app_data(ssl))) s->on_keylog(line);
}

void on_msg(int write_p, int, int content_type, const void* buf, size_t len, SSL*, void* arg) {
  static_cast<Session*>(arg)->on_record(write_p, content_type, buf, len);
}

}  // namespace

KernelCrypto::~KernelCrypto() { OPENSSL_cleanse(this, sizeof(*this)); }

bool derive_kernel_crypto(uint16_t suite, const uint8_t* secret, size_t secret_len, uint64_t seq,
                          KernelCrypto& out) {
  const char* digest = nullptr;
  switch (suite) {
    case 0x1301: out.cipher = TLS_CIPHER_AES_GCM_128, out.key_len = 16, digest = "SHA256"; break;
    case 0x1302: out.cipher = TLS_CIPHER_AES_GCM_256, out.key_len = 32, digest = "SHA384"; break;
    case 0x1303: out.cipher = TLS_CIPHER_CHACHA20_POLY1305, out.key_len = 32, digest = "SHA256"; break;
    default: return false;
  }
  out.suite = suite;
  out.seq = seq;
  if (!expand_label(digest, secret, secret_len, "key", out.key, out.key_len) ||
      !expand_label(digest, secret, secret_len, "iv", out.iv, sizeof(out.iv)))
    return false;
  if (suite == 0x1301) fill_gcm<tls12_crypto_info_aes_gcm_128>(out, TLS_CIPHER_AES_GCM_128);
  else if (suite == 0x1302) fill_gcm<tls12_crypto_info_aes_gcm_256>(out, TLS_CIPHER_AES_GCM_256);
  else fill_chacha(out);
  return true;
}

bool kernel_tls_missing() { return g_no_module.load(std::memory_order_relaxed); }

bool kernel_take(int fd, const KernelCrypto& k, bool tx, bool& ulp_attached, std::string& why) {
  if (kernel_tls_missing()) {
    why = "no tls module";
    return false;
  }
  if (!ulp_attached) {
    if (setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) != 0) {
      if (errno == ENOENT) g_no_module.store(true, std::memory_order_relaxed);
      why = std::strerror(errno);
      return false;
    }
    ulp_attached = true;
  }
  if (setsockopt(fd, SOL_TLS, tx ? TLS_TX : TLS_RX, k.sockopt, static_cast<socklen_t>(k.sockopt_len)) != 0) {
    why = std::strerror(errno);
    return false;
  }
  return true;
}

void kernel_send_close_notify(int fd) {
  static const unsigned char alert[2] = {1, 0};  // warning, close_notify
  union {
    cmsghdr align;
    char buf[CMSG_SPACE(sizeof(unsigned char))];
  } control{};
  iovec iov{const_cast<unsigned char*>(alert), sizeof(alert)};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof(control.buf);
  cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_TLS;
  cm->cmsg_type = TLS_SET_RECORD_TYPE;
  cm->cmsg_len = CMSG_LEN(sizeof(unsigned char));
  *CMSG_DATA(cm) = 21;  // alert
  (void)::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
}

void report_secrets(ssl_ctx_st* ctx) { SSL_CTX_set_keylog_callback(ctx, keylog); }

void watch_for_kernel(ssl_st* ssl, Session* s) {
  SSL_set_app_data(ssl, s);
  if (kernel_tls_missing()) return;  // nothing to hand over: no callbacks at all
  SSL_set_msg_callback(ssl, on_msg);
  SSL_set_msg_callback_arg(ssl, s);
}

// --------------------------------------------------------------------------
// Session

void Session::on_keylog(const char* line) {
  bool client = std::strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24) == 0;
  if (!client && std::strncmp(line, "SERVER_TRAFFIC_SECRET_0 ", 24) != 0) return;
  const char* sp = std::strchr(line + 24, ' ');  // after the client random
  if (!sp) return;
  const char* hex = sp + 1;
  size_t n = std::strlen(hex) / 2;
  if (n > sizeof(client_secret_)) return;
  uint8_t* dst = client ? client_secret_ : server_secret_;
  for (size_t i = 0; i < n; ++i) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return;
    dst[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  secret_len_ = static_cast<uint8_t>(n);
}

void Session::on_record(int write_p, int content_type, const void* buf, size_t len) {
  if (!established_ || write_p) return;
  if (content_type == SSL3_RT_HEADER) {
    ++rx_records_;
  } else if (content_type == SSL3_RT_INNER_CONTENT_TYPE && len == 1) {
    if (*static_cast<const uint8_t*>(buf) == SSL3_RT_APPLICATION_DATA) rx_app_seen_ = true;
  } else if (content_type == SSL3_RT_HANDSHAKE && len > 0 &&
             *static_cast<const uint8_t*>(buf) == SSL3_MT_KEY_UPDATE) {
    rx_rekeyed_ = true;  // the peer's (and, if it asked, our) keys moved on
  }
}

bool Session::kernel_crypto(bool tx, KernelCrypto& out) const {
  if (!established_ || SSL_version(ssl_) != TLS1_3_VERSION || secret_len_ == 0 || rx_rekeyed_) return false;
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_);
  if (!c) return false;
  bool ours_is_client = role_ == Role::Client;
  const uint8_t* secret = (tx == ours_is_client) ? client_secret_ : server_secret_;
  uint64_t seq = tx ? 0 : rx_records_;
  return derive_kernel_crypto(static_cast<uint16_t>(SSL_CIPHER_get_id(c) & 0xFFFF), secret, secret_len_, seq, out);
}

bool Session::try_kernel_tx(int fd) {
  if (ktx_ != Kernel::Untried) return ktx_ == Kernel::On;
  ktx_ = Kernel::Off;
  // Only before the first application record: the kernel starts at sequence 0.
  if (kernel_tls_missing() || BIO_number_written(wbio_) != tx_at_established_ || cipher_pending()) {
    kernel_settled();
    return false;
  }
  KernelCrypto k;
  std::string why;
  if (kernel_crypto(true, k) && kernel_take(fd, k, true, ulp_attached_, why)) {
    ktx_ = Kernel::On;
    kfd_ = fd;
  }
  kernel_settled();
  return ktx_ == Kernel::On;
}

bool Session::try_kernel_rx(int fd) {
  if (krx_ != Kernel::Untried) return krx_ == Kernel::On;
  if (kernel_tls_missing() || rx_rekeyed_ || SSL_version(ssl_) != TLS1_3_VERSION) {
    krx_ = Kernel::Off;
    kernel_settled();
    return false;
  }
  // Wait for a record boundary with everything decrypted, after the peer's
  // first application record (a Go server's session tickets come before
  // it, and the kernel would refuse them as a data stream). At a boundary
  // OpenSSL waits for a header ("RH"): right after a header it has already
  // taken the 5 bytes (and counted the record) but holds nothing that
  // SSL_has_pending sees.
  if (!rx_app_seen_ || BIO_ctrl_pending(rbio_) != 0 || SSL_has_pending(ssl_) || has_plain() ||
      std::strcmp(SSL_rstate_string(ssl_), "RH") != 0)
    return false;
  krx_ = Kernel::Off;
  KernelCrypto k;
  std::string why;
  if (kernel_crypto(false, k) && kernel_take(fd, k, false, ulp_attached_, why)) {
    krx_ = Kernel::On;
    kfd_ = fd;
  }
  kernel_settled();
  return krx_ == Kernel::On;
}

void Session::kernel_settled() {
  if (ktx_ == Kernel::Untried || krx_ == Kernel::Untried) return;
  SSL_set_msg_callback(ssl_, nullptr);
  OPENSSL_cleanse(client_secret_, sizeof(client_secret_));
  OPENSSL_cleanse(server_secret_, sizeof(server_secret_));
  secret_len_ = 0;
}

}  // namespace ringnats::tls
