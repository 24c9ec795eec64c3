// Route argument splitting and route line writers. The count rules, the
// order of checks and the interest keys follow nats-server 2.9.10's
// processRemoteSub/processRemoteUnsub/processRouted*MsgArgs.
#include "proto/route_args.h"

#include <cstring>

#include "proto/subject.h"

namespace ringnats::proto {
namespace {

// Keeps the first kHead tokens and the last kTail ones, and counts them all,
// so an unbounded queue list costs nothing to split.
struct Split {
  static constexpr size_t kHead = 8, kTail = 3;
  std::string_view head[kHead];
  std::string_view tail[kTail];  // ring, by token index % kTail
  size_t n = 0;

  explicit Split(std::string_view s) {
    size_t i = 0, len = s.size();
    const char* p = s.data();
    while (i < len) {
      while (i < len && is_route_arg_space(p[i])) ++i;
      if (i >= len) break;
      size_t start = i;
      while (i < len && !is_route_arg_space(p[i])) ++i;
      std::string_view t(p + start, i - start);
      if (n < kHead) head[n] = t;
      tail[n % kTail] = t;
      ++n;
    }
  }
  // Token i, for i < kHead or i among the last kTail.
  std::string_view at(size_t i) const { return i < kHead ? head[i] : tail[i % kTail]; }
};

inline std::string_view span_of(std::string_view first, std::string_view last) {
  return std::string_view(first.data(), static_cast<size_t>(last.data() + last.size() - first.data()));
}

inline size_t digits(uint64_t v) {
  size_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

inline char* put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

inline char* put_uint(char* p, uint64_t v) {
  size_t n = digits(v);
  for (size_t i = n; i-- > 0;) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + n;
}

inline uint64_t as_count(int64_t v) { return v < 0 ? 0 : static_cast<uint64_t>(v); }

}  // namespace

std::string_view route_arg_error_text(RouteArgStatus s) {
  switch (s) {
    case RouteArgStatus::Ok: return "";
    case RouteArgStatus::WrongArgCount: return "Parse Error";
    case RouteArgStatus::BadReplyIndicator: return "Bad or Missing Reply Indicator";
    case RouteArgStatus::BadHeaderSize: return "Bad or Missing Header Size";
    case RouteArgStatus::BadSize: return "Bad or Missing Size";
    case RouteArgStatus::HeaderTooLarge: return "Header Size larger then TotalSize";
  }
  return "";
}

bool ArgTokens::next(std::string_view& tok) {
  while (i_ < s_.size() && is_route_arg_space(s_[i_])) ++i_;
  if (i_ >= s_.size()) return false;
  size_t start = i_;
  while (i_ < s_.size() && !is_route_arg_space(s_[i_])) ++i_;
  tok = s_.substr(start, i_ - start);
  return true;
}

RouteArgStatus parse_remote_sub(std::string_view args, RemoteSubArgs& out, bool has_origin) {
  Split t(args);
  size_t off = has_origin ? 1 : 0;
  out = RemoteSubArgs{};
  if (t.n == 2 + off) {
    // plain interest
  } else if (t.n == 4 + off) {
    out.queue = t.at(2 + off);
    out.weight = static_cast<int32_t>(parse_size(t.at(3 + off)));
  } else {
    return RouteArgStatus::WrongArgCount;
  }
  if (has_origin) out.origin = t.at(0);
  out.account = t.at(off);
  out.subject = t.at(1 + off);
  // nats slices the raw text: past the origin and one separator, and for a
  // queue short of the weight and the one byte before it.
  size_t from = has_origin ? out.origin.size() + 1 : 0;
  size_t to = args.size();
  if (!out.queue.empty()) to -= t.at(3 + off).size() + 1;
  out.key = from < to ? args.substr(from, to - from) : std::string_view();
  return RouteArgStatus::Ok;
}

RouteArgStatus parse_remote_unsub(std::string_view args, RemoteSubArgs& out) {
  Split t(args);
  out = RemoteSubArgs{};
  if (t.n != 2 && t.n != 3) return RouteArgStatus::WrongArgCount;
  out.account = t.at(0);
  out.subject = t.at(1);
  if (t.n == 3) out.queue = t.at(2);
  out.key = args;
  return RouteArgStatus::Ok;
}

RouteArgStatus parse_routed_msg(RoutedOp op, std::string_view args, RoutedMsgArgs& out) {
  Split t(args);
  out = RoutedMsgArgs{};
  const size_t off = op == RoutedOp::Lmsg ? 1 : 0;
  const size_t nsz = op == RoutedOp::Rmsg ? 1 : 2;
  const size_t base = 2 + off + nsz;  // no reply, no queues
  const size_t n = t.n;
  if (n < base) return RouteArgStatus::WrongArgCount;
  if (n == base + 1) {
    out.reply = t.at(2 + off);
  } else if (n >= base + 2) {
    std::string_view ind = t.at(2 + off);
    if (ind.size() != 1 || (ind[0] != '+' && ind[0] != '|')) return RouteArgStatus::BadReplyIndicator;
    size_t q0 = 3 + off;
    if (ind[0] == '+') out.reply = t.at(q0++);
    size_t qend = n - nsz;  // one past the last queue
    if (q0 < qend) {
      out.queues = span_of(t.at(q0), t.at(qend - 1));
      out.nqueues = qend - q0;
    }
  }
  out.size = parse_size(t.at(n - 1));
  if (nsz == 2) {
    out.hdr = parse_size(t.at(n - 2));
    if (out.hdr < 0) return RouteArgStatus::BadHeaderSize;
  }
  if (out.size < 0) return RouteArgStatus::BadSize;
  if (out.hdr > out.size) return RouteArgStatus::HeaderTooLarge;
  if (off) out.origin = t.at(0);
  out.account = t.at(off);
  out.subject = t.at(1 + off);
  return RouteArgStatus::Ok;
}

// ---- writers ----------------------------------------------------------------

size_t rs_plus_size(std::string_view acc, std::string_view subj, std::string_view queue, int32_t weight) {
  size_t n = 4 + acc.size() + 1 + subj.size() + 2;
  if (!queue.empty()) n += 1 + queue.size() + 1 + (weight > 0 ? digits(static_cast<uint64_t>(weight)) : 0);
  return n;
}

size_t write_rs_plus(char* buf, size_t cap, std::string_view acc, std::string_view subj, std::string_view queue,
                     int32_t weight) {
  size_t n = rs_plus_size(acc, subj, queue, weight);
  if (n > cap) return 0;
  char* p = put(buf, "RS+ ");
  p = put(p, acc);
  *p++ = ' ';
  p = put(p, subj);
  if (!queue.empty()) {
    *p++ = ' ';
    p = put(p, queue);
    *p++ = ' ';
    if (weight > 0) p = put_uint(p, static_cast<uint64_t>(weight));
  }
  put(p, "\r\n");
  return n;
}

void append_rs_plus(std::string& out, std::string_view acc, std::string_view subj, std::string_view queue,
                    int32_t weight) {
  size_t at = out.size(), n = rs_plus_size(acc, subj, queue, weight);
  out.resize(at + n);
  write_rs_plus(out.data() + at, n, acc, subj, queue, weight);
}

size_t rs_minus_size(std::string_view acc, std::string_view subj, std::string_view queue) {
  return 4 + acc.size() + 1 + subj.size() + (queue.empty() ? 0 : 1 + queue.size()) + 2;
}

size_t write_rs_minus(char* buf, size_t cap, std::string_view acc, std::string_view subj, std::string_view queue) {
  size_t n = rs_minus_size(acc, subj, queue);
  if (n > cap) return 0;
  char* p = put(buf, "RS- ");
  p = put(p, acc);
  *p++ = ' ';
  p = put(p, subj);
  if (!queue.empty()) {
    *p++ = ' ';
    p = put(p, queue);
  }
  put(p, "\r\n");
  return n;
}

void append_rs_minus(std::string& out, std::string_view acc, std::string_view subj, std::string_view queue) {
  size_t at = out.size(), n = rs_minus_size(acc, subj, queue);
  out.resize(at + n);
  write_rs_minus(out.data() + at, n, acc, subj, queue);
}

size_t routed_msg_size(const RoutedMsgLine& m) {
  size_t n = 5 + m.account.size() + 1 + m.subject.size() + 1;  // "RMSG acc subj "
  if (!m.queues.empty()) {
    n += m.reply.empty() ? 2 : 2 + m.reply.size() + 1;  // "| " or "+ reply "
    for (auto q : m.queues) n += q.size() + 1;
  } else if (!m.reply.empty()) {
    n += m.reply.size() + 1;
  }
  if (m.hdr >= 0) n += (m.hdr_text.empty() ? digits(as_count(m.hdr)) : m.hdr_text.size()) + 1;
  n += m.size_text.empty() ? digits(as_count(m.size)) : m.size_text.size();
  return n + 2;
}

size_t write_routed_msg(char* buf, size_t cap, const RoutedMsgLine& m) {
  size_t n = routed_msg_size(m);
  if (n > cap) return 0;
  char* p = put(buf, m.hdr >= 0 ? "HMSG " : "RMSG ");
  p = put(p, m.account);
  *p++ = ' ';
  p = put(p, m.subject);
  *p++ = ' ';
  if (!m.queues.empty()) {
    if (m.reply.empty()) {
      p = put(p, "| ");
    } else {
      p = put(p, "+ ");
      p = put(p, m.reply);
      *p++ = ' ';
    }
    for (auto q : m.queues) {
      p = put(p, q);
      *p++ = ' ';
    }
  } else if (!m.reply.empty()) {
    p = put(p, m.reply);
    *p++ = ' ';
  }
  if (m.hdr >= 0) {
    p = m.hdr_text.empty() ? put_uint(p, as_count(m.hdr)) : put(p, m.hdr_text);
    *p++ = ' ';
  }
  p = m.size_text.empty() ? put_uint(p, as_count(m.size)) : put(p, m.size_text);
  put(p, "\r\n");
  return n;
}

void append_routed_msg(std::string& out, const RoutedMsgLine& m) {
  size_t at = out.size(), n = routed_msg_size(m);
  out.resize(at + n);
  write_routed_msg(out.data() + at, n, m);
}

}  // namespace ringnats::proto
