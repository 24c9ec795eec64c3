// Operation-word matching and message-argument decoding for the parser; the
// byte loop itself is a template in parser.h so handlers inline.
#include "proto/parser.h"

#include <array>

namespace ringnats::proto {

namespace {
struct Word { const char* text; Op op; bool route_only; };
// Grouped by first character; no word is a prefix of another.
constexpr Word kWords[] = {
    {"PUB", Op::Pub, false},     {"PING", Op::Ping, false},   {"PONG", Op::Pong, false},
    {"HPUB", Op::Hpub, false},   {"HMSG", Op::Hmsg, true},    {"SUB", Op::Sub, false},
    {"UNSUB", Op::Unsub, false}, {"CONNECT", Op::Connect, false}, {"INFO", Op::Info, false},
    {"+OK", Op::Ok, false},      {"-ERR", Op::Err, false},    {"RS+", Op::RsPlus, true},
    {"RS-", Op::RsMinus, true},  {"RMSG", Op::Rmsg, true},    {"LS+", Op::LsPlus, true},
    {"LS-", Op::LsMinus, true},  {"LMSG", Op::Lmsg, true},
    {"A+", Op::AccPlus, true},   {"A-", Op::AccMinus, true},
};

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

// Back-scan for the last `k` whitespace-separated tokens.
template <size_t K>
bool last_tokens(std::string_view s, std::array<std::string_view, K>& out) {
  size_t end = s.size();
  for (size_t k = 0; k < K; ++k) {
    while (end > 0 && is_arg_space(s[end - 1])) --end;
    if (end == 0) return false;
    size_t start = end;
    while (start > 0 && !is_arg_space(s[start - 1])) --start;
    out[K - 1 - k] = s.substr(start, end - start);
    end = start;
  }
  return true;
}
}  // namespace

bool Parser::start_word(char b) {
  char u = upper(b);
  ncand_ = 0;
  for (const Word& w : kWords) {
    if (w.text[0] != u) continue;
    if (w.route_only && kind_ != ConnKind::Route) continue;
    cand_[ncand_] = w.text;
    cand_op_[ncand_] = w.op;
    ++ncand_;
  }
  pos_ = 1;
  return ncand_ > 0;
}

bool Parser::step_word(char b) {
  char u = upper(b);
  int kept = 0;
  for (int c = 0; c < ncand_; ++c) {
    if (cand_[c][pos_] == u) {
      cand_[kept] = cand_[c];
      cand_op_[kept] = cand_op_[c];
      ++kept;
    }
  }
  ncand_ = kept;
  if (kept == 0) return false;
  ++pos_;
  if (cand_[0][pos_] != '\0') return true;
  op_ = cand_op_[0];
  switch (op_) {
    case Op::Connect:
    case Op::Info:
      state_ = State::ArgSpace;  // nats needs no separator after these
      break;
    case Op::Ping:
    case Op::Pong:
    case Op::Ok:
      state_ = State::ToEol;
      break;
    default:
      state_ = State::NeedSpace;
      break;
  }
  return true;
}

const char* Parser::frame_pub_line(const char* p, const char* end) {
  // A token: bytes above ' ' (a control byte anywhere takes the general path).
  auto token_end = [end](const char* q) {
    while (q < end && static_cast<unsigned char>(*q) > ' ') ++q;
    return q;
  };
  auto skip_space = [end](const char* q) {
    while (q < end && (*q == ' ' || *q == '\t')) ++q;
    return q;
  };
  const char* const start = p;
  const char* subj_end = token_end(p);
  if (subj_end == p || subj_end >= end || (*subj_end != ' ' && *subj_end != '\t')) return nullptr;
  const char* t2 = skip_space(subj_end);
  const char* t2_end = token_end(t2);
  if (t2_end == t2 || t2_end >= end) return nullptr;
  const char* digits = t2;
  const char* digits_end = t2_end;
  std::string_view reply;
  if (*t2_end != '\r') {
    if (*t2_end != ' ' && *t2_end != '\t') return nullptr;
    digits = skip_space(t2_end);
    digits_end = token_end(digits);
    if (digits_end == digits || digits_end >= end || *digits_end != '\r') return nullptr;
    reply = std::string_view(t2, static_cast<size_t>(t2_end - t2));
  }
  if (digits_end + 1 >= end || digits_end[1] != '\n') return nullptr;
  const size_t ndigits = static_cast<size_t>(digits_end - digits);
  if (ndigits > 9 || static_cast<size_t>(digits_end - start) > line_limit()) return nullptr;
  int64_t n = 0;
  for (const char* d = digits; d < digits_end; ++d) {
    const unsigned v = static_cast<unsigned char>(*d - '0');
    if (v > 9) return nullptr;
    n = n * 10 + v;
  }
  msg_.clear(Op::Pub, std::string_view(start, static_cast<size_t>(digits_end - start)));
  msg_.subject = std::string_view(start, static_cast<size_t>(subj_end - start));
  msg_.reply = reply;
  msg_.size = n;
  msg_.size_text = std::string_view(digits, ndigits);
  return digits_end + 1;
}

// "subject [reply] size" split from the end: the size's digits, then the
// subject and an optional reply. False for anything else (leading spaces,
// more tokens, no or too many digits), which the general split then decides.
bool Parser::pub_args_fast(std::string_view arg) {
  const char* p = arg.data();
  const size_t end = arg.size();
  size_t s = end;
  while (s > 0 && static_cast<unsigned char>(p[s - 1] - '0') <= 9) --s;
  const size_t digits = end - s;
  if (digits == 0 || digits > 9 || s < 2 || !is_arg_space(p[s - 1])) return false;
  size_t k = s - 1;
  while (k > 0 && is_arg_space(p[k - 1])) --k;
  size_t j = 0;
  while (j < k && !is_arg_space(p[j])) ++j;
  if (j == 0) return false;
  if (j < k) {
    size_t r = j;
    while (is_arg_space(p[r])) ++r;
    for (size_t q = r; q < k; ++q)
      if (is_arg_space(p[q])) return false;
    msg_.reply = std::string_view(p + r, k - r);
  }
  msg_.subject = std::string_view(p, j);
  int64_t n = 0;
  for (size_t x = s; x < end; ++x) n = n * 10 + (p[x] - '0');
  msg_.size = n;
  msg_.size_text = std::string_view(p + s, digits);
  return true;
}

ErrCode Parser::build_msg_args(std::string_view arg) {
  msg_.clear(op_, arg);
  if (op_ == Op::Pub && pub_args_fast(arg)) return ErrCode::None;
  if (op_ == Op::Pub || op_ == Op::Hpub) {
    msg_.reply = {};
    std::array<std::string_view, 4> t;
    size_t n = split_args(arg, t);
    bool hp = op_ == Op::Hpub;
    size_t base = hp ? 3 : 2;
    if (n != base && n != base + 1) return ErrCode::ProtocolViolation;
    msg_.subject = t[0];
    if (n == base + 1) msg_.reply = t[1];
    msg_.size = parse_size(t[n - 1]);
    msg_.size_text = t[n - 1];
    if (hp) {
      msg_.hdr_text = t[n - 2];
      msg_.hdr = parse_size(t[n - 2]);
      if (msg_.hdr < 0) return ErrCode::ProtocolViolation;
    }
    if (msg_.size < 0) return ErrCode::ProtocolViolation;
    if (hp && msg_.hdr > msg_.size) return ErrCode::ProtocolViolation;
    return ErrCode::None;
  }
  // Route RMSG/HMSG/LMSG: [origin (LMSG)], account, subject, [reply or
  // queue list], sizes last (two for HMSG and LMSG).
  const size_t off = op_ == Op::Lmsg ? 1 : 0;
  const bool two = op_ != Op::Rmsg;
  std::array<std::string_view, 3> first;
  size_t n = split_args(arg, first);
  if (n < 2 + off + (two ? 2 : 1)) return ErrCode::ProtocolViolation;
  msg_.account = first[off];
  msg_.subject = first[off + 1];
  if (two) {
    std::array<std::string_view, 2> sz;
    last_tokens(arg, sz);
    msg_.hdr_text = sz[0];
    msg_.size_text = sz[1];
    msg_.hdr = parse_size(sz[0]);
    msg_.size = parse_size(sz[1]);
    if (msg_.hdr < 0 || msg_.size < 0 || msg_.hdr > msg_.size) return ErrCode::ProtocolViolation;
  } else {
    std::array<std::string_view, 1> sz;
    last_tokens(arg, sz);
    msg_.size_text = sz[0];
    msg_.size = parse_size(sz[0]);
    if (msg_.size < 0) return ErrCode::ProtocolViolation;
  }
  return ErrCode::None;
}

void Parser::rebase_msg_args() {
  if (!arg_split_) {
    arg_buf_.assign(msg_.args.data(), msg_.args.size());
    arg_split_ = true;
  }
  const char* old = msg_.args.data();
  const char* base = arg_buf_.data();
  auto move = [&](std::string_view& v) {
    if (v.empty()) return;
    v = std::string_view(base + (v.data() - old), v.size());
  };
  move(msg_.account);
  move(msg_.subject);
  move(msg_.reply);
  move(msg_.hdr_text);
  move(msg_.size_text);
  msg_.args = std::string_view(base, msg_.args.size());
}

}  // namespace ringnats::proto
