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

bool subject_matches(std::string_view pattern, std::string_view subject) {
  size_t pi = 0, si = 0;
  for (;;) {
    size_t pd = pattern.find('.', pi), sd = subject.find('.', si);
    std::string_view pt = pattern.substr(pi, pd == std::string_view::npos ? std::string_view::npos : pd - pi);
    std::string_view st = subject.substr(si, sd == std::string_view::npos ? std::string_view::npos : sd - si);
    if (pt == ">") return true;
    if (pt != "*" && pt != st) return false;
    bool pend = pd == std::string_view::npos, send = sd == std::string_view::npos;
    if (pend || send) return pend && send;
    pi = pd + 1;
    si = sd + 1;
  }
}

bool subjects_collide(std::string_view a, std::string_view b) {
  size_t ai = 0, bi = 0;
  for (;;) {
    size_t ad = a.find('.', ai), bd = b.find('.', bi);
    std::string_view at = a.substr(ai, ad == std::string_view::npos ? std::string_view::npos : ad - ai);
    std::string_view bt = b.substr(bi, bd == std::string_view::npos ? std::string_view::npos : bd - bi);
    if (at == ">" || bt == ">") return true;
    if (at != "*" && bt != "*" && at != bt) return false;
    bool aend = ad == std::string_view::npos, bend = bd == std::string_view::npos;
    if (aend || bend) return aend && bend;
    ai = ad + 1;
    bi = bd + 1;
  }
}

bool subject_is_subset(std::string_view sub, std::string_view of) {
  size_t si = 0, oi = 0;
  for (;;) {
    size_t sd = sub.find('.', si), od = of.find('.', oi);
    std::string_view st = sub.substr(si, sd == std::string_view::npos ? std::string_view::npos : sd - si);
    std::string_view ot = of.substr(oi, od == std::string_view::npos ? std::string_view::npos : od - oi);
    if (ot == ">") return true;
    if (st == ">") return false;
    if (ot != "*" && (st == "*" || st != ot)) return false;
    bool send = sd == std::string_view::npos, oend = od == std::string_view::npos;
    if (send || oend) return send && oend;
    si = sd + 1;
    oi = od + 1;
  }
}

}  // namespace ringnats::proto
