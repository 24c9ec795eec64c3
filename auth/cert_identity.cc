// nats' certificate-to-user order and Go's subject text (see cert_identity.h).
#include "auth/cert_identity.h"

namespace ringnats::auth {

namespace {

constexpr std::string_view kDcOid = "0.9.2342.19200300.100.1.25";

// The types pkix.Name keeps in fields (its String() writes the rest as OIDs).
bool usual_type(std::string_view oid) {
  for (std::string_view t : {"2.5.4.3", "2.5.4.5", "2.5.4.6", "2.5.4.7", "2.5.4.8", "2.5.4.9", "2.5.4.10",
                             "2.5.4.11", "2.5.4.17"})
    if (t == oid) return true;
  return false;
}

// Length of the valid UTF-8 sequence at s[i] as Go decodes it, 0 if invalid.
size_t utf8_len(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (n == 0 || c > 0xF4 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  unsigned char c1 = b(i + 1);
  if (c == 0xE0 && c1 < 0xA0) return 0;   // overlong
  if (c == 0xED && c1 >= 0xA0) return 0;  // surrogate
  if (c == 0xF0 && c1 < 0x90) return 0;   // overlong
  if (c == 0xF4 && c1 >= 0x90) return 0;  // past U+10FFFF
  return n;
}

// pkix's value escaping, with invalid UTF-8 turned into U+FFFD as Go's
// []rune round trip does.
void append_escaped(std::string& out, std::string_view v) {
  for (size_t k = 0; k < v.size();) {
    size_t n = utf8_len(v, k);
    if (n == 0) {
      out.append("\xEF\xBF\xBD");
      ++k;
      continue;
    }
    char c = v[k];
    bool escape = false;
    if (n == 1) {
      switch (c) {
        case ',': case '+': case '"': case '\\': case '<': case '>': case ';': escape = true; break;
        case ' ': escape = k == 0 || k == v.size() - 1; break;
        case '#': escape = k == 0; break;
        default: break;
      }
    }
    if (escape) out.push_back('\\');
    out.append(v.substr(k, n));
    k += n;
  }
}

}  // namespace

std::string go_subject_string(const RawSubject& subject) {
  // pkix.Name: each usual type's values in subject order (CN and
  // SERIALNUMBER keep the last), then ToRDNSequence's fixed type order.
  struct Slot {
    std::string_view oid, name;
    bool single;
    std::vector<std::string_view> values;
  } slots[] = {{"2.5.4.6", "C", false, {}},        {"2.5.4.8", "ST", false, {}},
               {"2.5.4.7", "L", false, {}},        {"2.5.4.9", "STREET", false, {}},
               {"2.5.4.17", "POSTALCODE", false, {}}, {"2.5.4.10", "O", false, {}},
               {"2.5.4.11", "OU", false, {}},      {"2.5.4.3", "CN", true, {}},
               {"2.5.4.5", "SERIALNUMBER", true, {}}};
  for (const auto& set : subject)
    for (const SubjectAttr& a : set) {
      if (!a.is_string) continue;
      for (Slot& s : slots)
        if (s.oid == a.oid) {
          if (s.single) s.values.clear();
          s.values.push_back(a.value);
        }
    }
  for (Slot& s : slots)  // an empty CN or serial number is no RDN
    if (s.single && !s.values.empty() && s.values[0].empty()) s.values.clear();
  std::string out;
  for (size_t i = std::size(slots); i-- > 0;) {
    const Slot& s = slots[i];
    if (s.values.empty()) continue;
    if (!out.empty()) out.push_back(',');
    for (size_t j = 0; j < s.values.size(); ++j) {
      if (j) out.push_back('+');
      out.append(s.name);
      out.push_back('=');
      append_escaped(out, s.values[j]);
    }
  }
  return out;
}

std::string subject_dcs(const RawSubject& subject) {
  std::string out;
  for (const auto& set : subject)
    for (const SubjectAttr& a : set)
      if (a.is_string && a.oid == kDcOid) {
        if (!out.empty()) out.push_back(',');
        out.append("DC=").append(a.value);
      }
  return out;
}

bool map_certificate(const CertIdentity& id, const CertNameFn& accept) {
  // Go's Subject.String(): the usual attributes (an empty CN or serial
  // number is none) and, written as OIDs, every other one.
  const std::string rdn = go_subject_string(id.subject);
  bool has_subject = !rdn.empty();
  for (const auto& set : id.subject)
    for (const SubjectAttr& a : set) has_subject = has_subject || !usual_type(a.oid);
  if (id.emails.empty() && !has_subject && id.uris.empty()) return false;
  for (const auto& n : id.emails)
    if (accept(n, nullptr, false)) return true;
  for (const auto& n : id.dns)
    if (accept(n, nullptr, true)) return true;
  for (const auto& n : id.uris)
    if (accept(n, nullptr, false)) return true;
  if (auto dn = dn_from_subject(id.subject))
    if (accept({}, &*dn, false)) return true;
  std::string dcs = subject_dcs(id.subject);
  if (!dcs.empty() && accept(rdn + "," + dcs, nullptr, false)) return true;
  return accept(rdn, nullptr, false);
}

}  // namespace ringnats::auth
