// Go's x509 string rules (see go_x509_strings.h).
#include "tls/go_x509_strings.h"

#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <vector>

namespace ringnats::tls {

namespace {

// Go's isPrintable, with the '*' and '&' it tolerates.
bool printable(unsigned char b) {
  return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || (b >= '\'' && b <= ')') ||
         (b >= '+' && b <= '/') || b == ' ' || b == ':' || b == '=' || b == '?' || b == '*' || b == '&';
}

// utf8.Valid: no overlong forms, no surrogates, nothing past U+10FFFF.
bool valid_utf8(const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (len == 0 || c > 0xF4 || i + len > n) return false;
    for (size_t k = 1; k < len; ++k)
      if ((p[i + k] & 0xC0) != 0x80) return false;
    unsigned char c1 = len > 1 ? p[i + 1] : 0;
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0) || (c == 0xF0 && c1 < 0x90) ||
        (c == 0xF4 && c1 >= 0x90))
      return false;
    i += len;
  }
  return true;
}

void put_utf8(std::string& out, uint32_t r) {
  if (r < 0x80) {
    out.push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out.push_back(static_cast<char>(0xC0 | r >> 6));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | r >> 12));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | r >> 18));
    out.push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

// Go's parseBMPString: even length, a trailing 00 00 dropped, then
// utf16.Decode (an unpaired surrogate becomes U+FFFD).
bool bmp_to_utf8(const unsigned char* p, size_t n, std::string& out) {
  if (n % 2) return false;
  if (n >= 2 && p[n - 1] == 0 && p[n - 2] == 0) n -= 2;
  std::vector<uint16_t> u;
  for (size_t i = 0; i < n; i += 2) u.push_back(static_cast<uint16_t>(p[i] << 8 | p[i + 1]));
  for (size_t i = 0; i < u.size(); ++i) {
    uint32_t r = u[i];
    if (r >= 0xD800 && r < 0xDC00 && i + 1 < u.size() && u[i + 1] >= 0xDC00 && u[i + 1] < 0xE000) {
      r = 0x10000 + ((r - 0xD800) << 10) + (u[i + 1] - 0xDC00);
      ++i;
    } else if (r >= 0xD800 && r < 0xE000) {
      r = 0xFFFD;
    }
    put_utf8(out, r);
  }
  return true;
}

bool ascii(const ASN1_STRING* s) {
  const unsigned char* p = ASN1_STRING_get0_data(s);
  for (int i = 0; i < ASN1_STRING_length(s); ++i)
    if (p[i] >= 0x80) return false;
  return true;
}

bool name_ok(const X509_NAME* name) {
  std::string scratch;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    scratch.clear();
    if (!go_name_value(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)), scratch)) return false;
  }
  return true;
}

}  // namespace

bool go_name_value(const ASN1_STRING* v, std::string& out) {
  const unsigned char* p = ASN1_STRING_get0_data(v);
  const size_t n = static_cast<size_t>(ASN1_STRING_length(v));
  switch (ASN1_STRING_type(v)) {
    case V_ASN1_PRINTABLESTRING:
      for (size_t i = 0; i < n; ++i)
        if (!printable(p[i])) return false;
      break;
    case V_ASN1_UTF8STRING:
      if (!valid_utf8(p, n)) return false;
      break;
    case V_ASN1_IA5STRING:
      for (size_t i = 0; i < n; ++i)
        if (p[i] >= 0x80) return false;
      break;
    case V_ASN1_NUMERICSTRING:
      for (size_t i = 0; i < n; ++i)
        if (!(p[i] == ' ' || (p[i] >= '0' && p[i] <= '9'))) return false;
      break;
    case V_ASN1_T61STRING:
      break;
    case V_ASN1_BMPSTRING:
      return bmp_to_utf8(p, n, out);
    default:
      return false;
  }
  out.assign(reinterpret_cast<const char*>(p), n);
  return true;
}

bool go_parses_names(X509* cert) {
  if (!name_ok(X509_get_subject_name(cert)) || !name_ok(X509_get_issuer_name(cert))) return false;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  bool ok = true;
  for (int i = 0; ok && sans && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
    if (g->type == GEN_EMAIL) ok = ascii(g->d.rfc822Name);
    else if (g->type == GEN_DNS) ok = ascii(g->d.dNSName);
    else if (g->type == GEN_URI) ok = ascii(g->d.uniformResourceIdentifier);
  }
  if (sans) GENERAL_NAMES_free(sans);
  return ok;
}

}  // namespace ringnats::tls
