// Token rules for subjects, matching nats-server's sublist insert checks and
// IsValidLiteralSubject.
#include "proto/subject.h"

namespace ringnats::proto {

namespace {
template <class F>
bool for_each_token(std::string_view s, F&& f) {
  size_t start = 0;
  for (;;) {
    size_t dot = s.find('.', start);
    std::string_view tok = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    bool last = dot == std::string_view::npos;
    if (!f(tok, last)) return false;
    if (last) return true;
    start = dot + 1;
  }
}
}  // namespace

bool valid_subscribe_subject(std::string_view s) {
  if (s.empty()) return false;
  return for_each_token(s, [](std::string_view t, bool last) {
    if (t.empty()) return false;
    if (t.size() == 1 && t[0] == '>' && !last) return false;
    return true;
  });
}

bool valid_literal_subject(std::string_view s) {
  if (s.empty()) return false;
  return for_each_token(s, [](std::string_view t, bool) {
    if (t.empty()) return false;
    if (t.size() == 1 && (t[0] == '*' || t[0] == '>')) return false;
    return true;
  });
}

bool has_wildcard(std::string_view s) {
  bool wc = false;
  for_each_token(s, [&](std::string_view t, bool) {
    if (t.size() == 1 && (t[0] == '*' || t[0] == '>')) wc = true;
    return !wc;
  });
  return wc;
}

namespace {
// Walks a subject token by token: next() gives the following token and
// whether it is the last.
struct Tokens {
  std::string_view s;
  size_t at = 0;
  std::string_view next(bool& last) {
    size_t dot = s.find('.', at);
    last = dot == std::string_view::npos;
    std::string_view t = s.substr(at, last ? std::string_view::npos : dot - at);
    at = last ? s.size() : dot + 1;
    return t;
  }
};
}  // namespace

bool subject_matches(std::string_view pattern, std::string_view subject) {
  Tokens p{pattern}, s{subject};
  for (;;) {
    bool pend, send;
    std::string_view pt = p.next(pend), st = s.next(send);
    if (pt == ">") return true;
    if (pt != "*" && pt != st) return false;
    if (pend || send) return pend && send;
  }
}

bool subjects_collide(std::string_view a, std::string_view b) {
  Tokens x{a}, y{b};
  for (;;) {
    bool aend, bend;
    std::string_view at = x.next(aend), bt = y.next(bend);
    if (at == ">" || bt == ">") return true;
    if (at != "*" && bt != "*" && at != bt) return false;
    if (aend || bend) return aend && bend;
  }
}

bool subject_is_subset(std::string_view sub, std::string_view of) {
  Tokens x{sub}, y{of};
  for (;;) {
    bool send, oend;
    std::string_view st = x.next(send), ot = y.next(oend);
    if (ot == ">") return true;
    if (st == ">") return false;
    if (ot != "*" && (st == "*" || st != ot)) return false;
    if (send || oend) return send && oend;
  }
}

}  // namespace ringnats::proto
