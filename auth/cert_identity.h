// What a verified peer certificate names, and the order in which nats-server
// 2.9 tries those names to find a user (checkClientTLSCertSubject, used by
// verify_and_map on the client port and on routes). The tls layer fills a
// CertIdentity from OpenSSL; this file decides nothing but the order and
// Go's text forms, so both listeners map certificates the same way.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/dn.h"

namespace ringnats::auth {

struct CertIdentity {
  std::vector<std::string> emails, dns, uris;  // subjectAltName entries, in order
  RawSubject subject;
};

// Go's cert.Subject.String(): the usual attributes only (C, ST, L, STREET,
// POSTALCODE, O, OU, CN, SERIALNUMBER, gathered in that order and then
// reversed), values escaped as pkix does. "CN=alice,OU=eng,O=acme".
std::string go_subject_string(const RawSubject& subject);
// nats' getTLSAuthDCs: "DC=example,DC=com" in the subject's order.
std::string subject_dcs(const RawSubject& subject);

// One candidate: a name (with `dn` null), or, once, the subject as a DN
// (with `name` empty). `is_dns` marks DNS SANs. True accepts it.
using CertNameFn = std::function<bool(std::string_view name, const Dn* dn, bool is_dns)>;

// Tries, in nats' order: e-mail SANs, DNS SANs, URI SANs, the subject as a
// DN, the subject text with its DCs appended, the subject text. True when
// `accept` took one. A certificate with no e-mail, subject attribute or URI
// names nothing (even with DNS SANs), as in nats.
bool map_certificate(const CertIdentity& id, const CertNameFn& accept);

}  // namespace ringnats::auth
