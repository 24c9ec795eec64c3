// The `tls {}` block and nats' certificate checks (see tls_config.h). Key by
// key as nats-server 2.9's parseTLS and GenTLSConfig: same keys, same error
// texts; what ringnats does not enforce (mapping certificates to users,
// pinned certificates, rate limits) is refused, never ignored.
#include "config/tls_config.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include "config/go_compat.h"
#include "config/unsupported.h"

namespace ringnats::tlsconf {
namespace {

using confparse::ConfKind;
using confparse::ConfValue;
using confparse::Sink;

constexpr std::string_view kWhyPinned = "certificates outside the pinned set would be accepted";
constexpr std::string_view kWhyRate = "TLS connections would not be rate limited";
constexpr std::string_view kWhyKnownUrls = "route certificates would not be checked against the known URLs";

struct Pair {
  std::string_view go, ossl;
};
constexpr Pair kCiphers[] = {
    {"TLS_RSA_WITH_RC4_128_SHA", "RC4-SHA"},
    {"TLS_RSA_WITH_3DES_EDE_CBC_SHA", "DES-CBC3-SHA"},
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
    {"TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "ECDHE-ECDSA-RC4-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_RC4_128_SHA", "ECDHE-RSA-RC4-SHA"},
    {"TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-RSA-DES-CBC3-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {"TLS_AES_128_GCM_SHA256", ""},
    {"TLS_AES_256_GCM_SHA384", ""},
    {"TLS_CHACHA20_POLY1305_SHA256", ""},
};
constexpr Pair kCurves[] = {
    {"X25519", "X25519"}, {"CurveP256", "P-256"}, {"CurveP384", "P-384"}, {"CurveP521", "P-521"}};

void err_at(const ConfValue& at, const std::string& text, Sink& s) {
  std::string line = at.where();
  line.append(": ");
  line.append(text);
  s.errors.push_back(std::move(line));
}

// Go's "open <path>: <errno text>" (Go writes errno texts in lower case).
std::string open_error(const std::string& path, int err) {
  std::string e = std::strerror(err);
  if (!e.empty()) e[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(e[0])));
  std::string out = "open ";
  out.append(path);
  out.append(": ");
  out.append(e);
  return out;
}

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

// Counts the PEM blocks in `path` by kind: certificates and private keys.
bool scan_pem(const std::string& path, int& certs, int& keys, std::string& err) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) {
    err = open_error(path, errno);
    return false;
  }
  certs = keys = 0;
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (!PEM_read(f.get(), &name, &header, &data, &len)) break;
    std::string_view n(name);
    if (n == "CERTIFICATE") ++certs;
    else if (n.size() >= 11 && n.substr(n.size() - 11) == "PRIVATE KEY") ++keys;
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
  }
  ERR_clear_error();
  return true;
}

std::string check_pair(const std::string& cert_file, const std::string& key_file) {
  const std::string pre = "error parsing X509 certificate/key pair: ";
  int certs = 0, keys = 0, kc = 0, kk = 0;
  std::string err;
  if (!scan_pem(cert_file, certs, keys, err)) return pre + err;
  if (certs == 0) {
    if (keys > 0)
      return pre + "tls: failed to find certificate PEM data in certificate input, but did find a private key; "
                   "PEM inputs may have been switched";
    return pre + "tls: failed to find any PEM data in certificate input";
  }
  if (!scan_pem(key_file, kc, kk, err)) return pre + err;
  if (kk == 0) {
    if (kc > 0)
      return pre + "tls: found a certificate rather than a key in the PEM for the private key";
    return pre + "tls: failed to find any PEM data in key input";
  }
  File cf(std::fopen(cert_file.c_str(), "rb"));
  File kf(std::fopen(key_file.c_str(), "rb"));
  if (!cf || !kf) return pre + open_error(cf ? key_file : cert_file, errno);
  X509* x = PEM_read_X509(cf.get(), nullptr, nullptr, nullptr);
  EVP_PKEY* k = PEM_read_PrivateKey(kf.get(), nullptr, nullptr, nullptr);
  std::string out;
  if (!x) out = "error parsing certificate: x509: malformed certificate";
  else if (!k) out = pre + "tls: failed to parse private key";
  else if (X509_check_private_key(x, k) != 1) out = pre + "tls: private key does not match public key";
  X509_free(x);
  EVP_PKEY_free(k);
  ERR_clear_error();
  return out;
}

std::string check_ca(const std::string& ca_file) {
  File f(std::fopen(ca_file.c_str(), "rb"));
  if (!f) return open_error(ca_file, errno);
  int n = 0;
  while (X509* x = PEM_read_X509(f.get(), nullptr, nullptr, nullptr)) {
    ++n;
    X509_free(x);
  }
  ERR_clear_error();
  return n > 0 ? std::string() : std::string("failed to parse root ca certificate");
}

bool get_bool_tls(const ConfValue& mv, const char* key, bool& out, Sink& s) {
  if (mv.kind != ConfKind::Bool) {
    std::string t = "error parsing tls config, expected '";
    t.append(key);
    t.append("' to be a boolean");
    err_at(mv, t, s);
    return false;
  }
  out = mv.b;
  return true;
}

bool get_file(const ConfValue& mv, const char* key, std::string& out, Sink& s) {
  if (mv.kind != ConfKind::String) {
    std::string t = "error parsing tls config, expected '";
    t.append(key);
    t.append("' to be filename");
    err_at(mv, t, s);
    return false;
  }
  out = mv.str;
  return true;
}

// cipher_suites / curve_preferences: a non-empty list of known names.
bool get_names(const ConfValue& mv, const char* key, bool curves, std::vector<std::string>& out, Sink& s) {
  if (!mv.is_array()) {
    confparse::type_error(mv, "[]interface {}", s);
    return false;
  }
  if (mv.items.empty()) {
    std::string t = "error parsing tls config, '";
    t.append(key);
    t.append("' cannot be empty");
    err_at(mv, t, s);
    return false;
  }
  out.clear();
  for (const ConfValue& r : mv.items) {
    if (r.kind != ConfKind::String) {
      confparse::type_error(r, "string", s);
      return false;
    }
    if ((curves ? openssl_curve(r.str) : openssl_cipher(r.str)) == nullptr) {
      std::string t = curves ? "unrecognized curve preference " : "unrecognized cipher ";
      t.append(r.str);
      err_at(r, t, s);
      return false;
    }
    out.push_back(r.str);
  }
  return true;
}

bool get_timeout(const ConfValue& mv, int64_t& out, Sink& s) {
  double secs = 0;
  if (mv.kind == ConfKind::Int) {
    secs = static_cast<double>(mv.i);
  } else if (mv.kind == ConfKind::Float) {
    secs = mv.f;
  } else if (mv.kind == ConfKind::String) {
    std::string err;
    int64_t ns = 0;
    if (!conf::parse_go_duration(mv.str, ns, err)) {
      std::string t = "error parsing tls config, 'timeout' ";
      t.append(err);
      err_at(mv, t, s);
      return false;
    }
    secs = static_cast<double>(ns) / 1e9;
  } else {
    err_at(mv, "error parsing tls config, 'timeout' wrong type", s);
    return false;
  }
  // 0 keeps nats' default (2 s), as nats' baseline options do.
  if (secs != 0) out = static_cast<int64_t>(std::llround(secs * 1e9));
  return true;
}

void refuse(const ConfValue& mv, const std::string& path, const std::string& key, std::string_view why, Sink& s) {
  std::string p = path;
  p.append(".");
  p.append(key);
  s.errors.push_back(unsupported::refusal(mv, p, why));
}

}  // namespace

const char* openssl_cipher(std::string_view go_name) {
  for (const Pair& p : kCiphers)
    if (p.go == go_name) return p.ossl.data();
  return nullptr;
}

const char* openssl_curve(std::string_view go_name) {
  for (const Pair& p : kCurves)
    if (p.go == go_name) return p.ossl.data();
  return nullptr;
}

std::string check_files(const TlsOptions& o) {
  if (!o.cert_file.empty() && o.key_file.empty()) return "missing 'key_file' in TLS configuration";
  if (o.cert_file.empty() && !o.key_file.empty()) return "missing 'cert_file' in TLS configuration";
  if (!o.cert_file.empty()) {
    std::string e = check_pair(o.cert_file, o.key_file);
    if (!e.empty()) return e;
  }
  if (!o.ca_file.empty()) return check_ca(o.ca_file);
  return {};
}

void parse_tls_block(const ConfValue& v, const std::string& path, bool cluster, TlsOptions& out, Sink& s) {
  if (!v.is_map()) {
    confparse::type_error(v, "map[string]interface {}", s);
    return;
  }
  TlsOptions t;
  t.enabled = true;
  for (size_t n = 0; n < v.keys.size(); ++n) {
    const ConfValue& mv = v.items[n];
    const std::string k = golang::lower(v.keys[n]);
    bool ok = true;
    if (k == "cert_file") {
      ok = get_file(mv, "cert_file", t.cert_file, s);
    } else if (k == "key_file") {
      ok = get_file(mv, "key_file", t.key_file, s);
    } else if (k == "ca_file") {
      ok = get_file(mv, "ca_file", t.ca_file, s);
    } else if (k == "insecure") {
      ok = get_bool_tls(mv, "insecure", t.insecure, s);
    } else if (k == "verify") {
      ok = get_bool_tls(mv, "verify", t.verify, s);
    } else if (k == "verify_and_map") {
      bool b = false;
      ok = get_bool_tls(mv, "verify_and_map", b, s);
      // A client's certificate maps to a user (core/client_auth.cc), a
      // route's to the cluster user (cluster/route_manager.cc).
      if (ok && b) t.verify = t.verify_and_map = true;
    } else if (k == "verify_cert_and_check_known_urls") {
      bool b = false;
      ok = get_bool_tls(mv, "verify_cert_and_check_known_urls", b, s);
      if (ok && b) {
        if (!cluster) err_at(mv, "verify_cert_and_check_known_urls not supported in this context", s);
        else refuse(mv, path, v.keys[n], kWhyKnownUrls, s);
        return;
      }
    } else if (k == "cipher_suites") {
      ok = get_names(mv, "cipher_suites", false, t.cipher_suites, s);
    } else if (k == "curve_preferences") {
      ok = get_names(mv, "curve_preferences", true, t.curve_preferences, s);
    } else if (k == "timeout") {
      ok = get_timeout(mv, t.timeout_ns, s);
    } else if (k == "connection_rate_limit") {
      if (mv.kind != ConfKind::Int) {
        err_at(mv, "error parsing tls config, 'connection_rate_limit' wrong type", s);
        return;
      }
      if (mv.i != 0) {
        refuse(mv, path, v.keys[n], kWhyRate, s);
        return;
      }
    } else if (k == "pinned_certs") {
      if (!mv.is_array()) {
        err_at(mv,
               "error parsing tls config, expected 'pinned_certs' to be a list of hex-encoded sha256 of DER "
               "encoded SubjectPublicKeyInfo",
               s);
        return;
      }
      if (!mv.items.empty()) {
        refuse(mv, path, v.keys[n], kWhyPinned, s);
        return;
      }
    } else {
      std::string text = "error parsing tls config, unknown field [";
      text.append(conf::go_quote(v.keys[n]));
      text.append("]");
      err_at(mv, text, s);
      return;
    }
    if (!ok) return;
  }
  std::string e = check_files(t);
  if (!e.empty()) {
    err_at(v, e, s);
    return;
  }
  // Routes always verify the peer (nats forces it in the cluster context).
  if (cluster) t.verify = true;
  out = std::move(t);
}

}  // namespace ringnats::tlsconf
