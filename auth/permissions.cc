// Permissions (see permissions.h). Semantics read from nats-server 2.9's
// client.go and sublist.go; lists are short, so matching is a linear walk.
#include "auth/permissions.h"

#include <absl/strings/string_view.h>

#include "proto/subject.h"

namespace ringnats::auth {

namespace {

absl::string_view av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// "subject queue" (nats' splitSubjectQueue): one or two fields.
bool split_entry(const std::string& s, CompiledPerms::Entry& e) {
  std::vector<std::string> f;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f')) ++i;
    size_t j = i;
    while (j < s.size() && !(s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r' || s[j] == '\f')) ++j;
    if (j > i) f.push_back(s.substr(i, j - i));
    i = j;
  }
  if (f.empty() || f.size() > 2) return false;
  e.subject = f[0];
  e.queue = f.size() == 2 ? f[1] : std::string();
  return true;
}

bool has_wildcard(std::string_view s) {
  size_t start = 0;
  for (;;) {
    size_t dot = s.find('.', start);
    std::string_view t = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (t == "*" || t == ">") return true;
    if (dot == std::string_view::npos) return false;
    start = dot + 1;
  }
}

void tokens(std::string_view s, std::vector<std::string_view>& out) {
  out.clear();
  size_t start = 0;
  for (;;) {
    size_t dot = s.find('.', start);
    out.push_back(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) return;
    start = dot + 1;
  }
}

// The psubs / qsubs a Match would return from a list of entries.
struct MatchResult {
  bool plain = false;
  bool queues = false;
  std::vector<const CompiledPerms::Entry*> qs;
};
void match_entries(const std::vector<CompiledPerms::Entry>& list, std::string_view subject, MatchResult& r) {
  for (const auto& e : list) {
    if (!pattern_matches(e.subject, subject)) continue;
    if (e.queue.empty()) {
      r.plain = true;
    } else {
      r.queues = true;
      r.qs.push_back(&e);
    }
  }
}

// nats' queueMatches: the queue is named literally, or matched by a
// wildcard queue entry.
bool queue_matches(std::string_view queue, const MatchResult& r) {
  if (r.qs.empty()) return true;
  for (const auto* e : r.qs) {
    if (queue == e->queue) return true;
    if (has_wildcard(e->queue) && subset_match(queue, e->queue)) return true;
  }
  return false;
}

}  // namespace

bool pattern_matches(std::string_view pattern, std::string_view subject) {
  // nats' match returns nothing for a subject with an empty token.
  if (subject.empty() || subject.front() == '.' || subject.back() == '.' ||
      subject.find("..") != std::string_view::npos)
    return false;
  return proto::subject_matches(pattern, subject);
}

bool subset_match(std::string_view subject, std::string_view test) {
  std::vector<std::string_view> toks, tt;
  tokens(subject, toks);
  tokens(test, tt);
  for (size_t i = 0; i < tt.size(); ++i) {
    if (i >= toks.size()) return false;
    std::string_view t2 = tt[i];
    if (t2.empty()) return false;
    if (t2 == ">") return true;
    std::string_view t1 = toks[i];
    if (t1.empty() || t1 == ">") return false;
    if (t1 == "*") {
      if (t2 != "*") return false;
      continue;
    }
    if (t2 != "*" && t1 != t2) return false;
  }
  return toks.size() == tt.size();
}

std::shared_ptr<const CompiledPerms> compile(const Permissions& p) {
  auto c = std::make_shared<CompiledPerms>();
  if (p.publish.set) {
    c->pub_allow_set = !p.publish.allow.empty() || p.allow_responses;
    c->pub_allow = p.publish.allow;
    c->pub_deny = p.publish.deny;
  } else if (p.allow_responses) {
    c->pub_allow_set = true;
  }
  if (p.subscribe.set) {
    for (const auto& s : p.subscribe.allow) {
      CompiledPerms::Entry e;
      if (split_entry(s, e)) c->sub_allow.push_back(std::move(e));
    }
    for (const auto& s : p.subscribe.deny) {
      CompiledPerms::Entry e;
      if (split_entry(s, e)) c->sub_deny.push_back(std::move(e));
    }
    c->sub_allow_set = !p.subscribe.allow.empty();
    c->sub_deny_set = !p.subscribe.deny.empty();
    c->sub_deny_raw = p.subscribe.deny;
  }
  c->responses = p.allow_responses;
  c->resp = p.responses;
  if (c->resp.max == 0) c->resp.max = 1;
  return c;
}

bool ConnPerms::pub_check(std::string_view subject) const {
  const CompiledPerms& p = *p_;
  bool allowed = true;
  if (p.pub_allow_set) {
    allowed = false;
    for (const auto& a : p.pub_allow)
      if (pattern_matches(a, subject)) { allowed = true; break; }
  }
  if (allowed)
    for (const auto& d : p.pub_deny)
      if (pattern_matches(d, subject)) { allowed = false; break; }
  return allowed;
}

bool ConnPerms::can_publish(std::string_view subject, int64_t now_ns) {
  if (!p_->pub_restricted()) return true;
  auto it = pcache_.find(av(subject));
  if (it != pcache_.end()) return it->second;
  bool allowed = pub_check(subject);
  if (!allowed && p_->responses) {
    // A reply to a request this connection received: allowed (not cached)
    // up to max responses within expires.
    auto r = replies_.find(av(subject));
    if (r != replies_.end()) {
      Resp& rs = r->second;
      ++rs.n;
      if (p_->resp.max > 0 && rs.n > p_->resp.max) {
        replies_.erase(r);
      } else if (p_->resp.expires_ns > 0 && now_ns - rs.t > p_->resp.expires_ns) {
        replies_.erase(r);
      } else {
        allowed = true;
      }
    }
    return allowed;
  }
  // Bounded: a connection publishing to ever new subjects clears it and
  // starts over (nats prunes part of it).
  if (pcache_.size() >= kPubCacheMax) pcache_.clear();
  pcache_.emplace(std::string(subject), allowed);
  return allowed;
}

bool ConnPerms::can_subscribe(std::string_view subject, std::string_view queue) {
  const CompiledPerms& p = *p_;
  bool allowed = true;
  if (p.sub_allow_set) {
    MatchResult r;
    match_entries(p.sub_allow, subject, r);
    allowed = r.plain;
    if (!queue.empty() && r.queues) allowed = queue_matches(queue, r);
  }
  if (allowed && p.sub_deny_set) {
    MatchResult r;
    match_entries(p.sub_deny, subject, r);
    allowed = !r.plain;
    if (!queue.empty() && r.queues) allowed = !queue_matches(queue, r);
    // A wildcard SUB that covers a denied subject: deliveries are filtered
    // from now on (nats' loadMsgDenyFilter).
    if (allowed && !deny_filter_ && has_wildcard(subject)) {
      for (const auto& d : p.sub_deny_raw)
        if (subset_match(d, subject)) { deny_filter_ = true; break; }
    }
  }
  return allowed;
}

bool ConnPerms::deny_delivery_slow(std::string_view subject) {
  auto it = dcache_.find(av(subject));
  if (it != dcache_.end()) return it->second;
  // nats' filter holds the deny strings as written: only plain entries can
  // match a message subject.
  bool denied = false;
  for (const auto& d : p_->sub_deny_raw)
    if (pattern_matches(d, subject)) { denied = true; break; }
  if (dcache_.size() >= kDenyCacheMax) dcache_.clear();
  dcache_.emplace(std::string(subject), denied);
  return denied;
}

void ConnPerms::track_reply_slow(std::string_view reply, int64_t now_ns) {
  Resp& r = replies_[av(reply)];
  r.t = now_ns;
  r.n = 0;
  if (replies_.size() <= kRepliesMax) return;
  // nats' pruneReplyPerms: drop the used-up and the expired.
  for (auto it = replies_.begin(); it != replies_.end();) {
    bool drop = (p_->resp.max > 0 && it->second.n >= p_->resp.max) ||
                (p_->resp.expires_ns > 0 && now_ns - it->second.t > p_->resp.expires_ns);
    if (drop) replies_.erase(it++);
    else ++it;
  }
  // Still over (every reply live): drop all but this one, so it stays bounded.
  if (replies_.size() > 2 * kRepliesMax) {
    Resp keep = r;
    replies_.clear();
    replies_[av(reply)] = keep;
  }
}

}  // namespace ringnats::auth
