// Incremental, zero-copy parser for the NATS client and route protocols.
// It frames operations straight out of the receive buffer and hands views to
// a handler; only a control line or payload split across reads is copied.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "proto/errors.h"
#include "proto/subject.h"

namespace ringnats::proto {

enum class ConnKind : uint8_t { Client, Route };

enum class Op : uint8_t {
  None, Connect, Pub, Hpub, Sub, Unsub, Ping, Pong, Info, Ok, Err,
  Rmsg, Hmsg, RsPlus, RsMinus, LsPlus, LsMinus, Lmsg, AccPlus, AccMinus,
};

// A message-carrying operation's control line. Views point into the receive
// buffer or, when the operation is split across reads, into the parser.
struct MsgArgs {
  Op op = Op::None;
  std::string_view args;     // whole argument text
  std::string_view account;  // route ops only
  std::string_view subject;
  std::string_view reply;    // client ops only; routes decode it from args
  int64_t hdr = -1;          // header bytes; -1 when the op has no headers
  int64_t size = 0;          // total payload bytes, headers included
  // The digits as the sender wrote them: nats-server forwards them verbatim
  // (leading zeros included) when it does not rewrite the size.
  std::string_view hdr_text, size_text;
  // Set only by the server's own publishes (JetStream deliveries): matched
  // on `subject`, but subscribers' MSG lines show this subject instead.
  // Across a route it rides at the end of the reply, after '@' (nats').
  std::string_view shown_subject;
  // The server's own publishes: the payload is not followed by CRLF in
  // memory (a receive buffer's or block's always is).
  bool bare_payload = false;

  // As if new, field by field: `= MsgArgs{}` builds a temporary with a
  // `rep stos` and copies it, about 10 ns of every PUB. A field added above
  // must be added here.
  void clear(Op o, std::string_view a) {
    op = o;
    args = a;
    account = subject = reply = hdr_text = size_text = shown_subject = {};
    hdr = -1;
    size = 0;
    bare_payload = false;
  }
};
static_assert(sizeof(MsgArgs) == 144, "a field added to MsgArgs must be reset in MsgArgs::clear");

// What a handler tells the parser after each operation.
enum class Flow : uint8_t {
  Continue,  // keep parsing
  Pause,     // stop after this op; the caller resumes later with the rest
  Stop,      // the handler is closing the connection
};

struct FeedResult {
  enum Status : uint8_t { Done, Paused, Stopped, Error };
  size_t consumed = 0;
  Status status = Done;
  ErrCode err = ErrCode::None;
};

// Handler concept (duck-typed, so calls inline):
//   Flow on_op(Op, std::string_view args);          CONNECT, SUB, PING, ...
//   Flow on_msg_args(const MsgArgs&);               control line of a message op
//   char* payload_storage(const MsgArgs&);          room for a split payload
//   Flow on_msg(const MsgArgs&, std::string_view payload, bool in_storage);
class Parser {
 public:
  explicit Parser(ConnKind kind, size_t max_control_line = 4096)
      : kind_(kind), max_control_line_(max_control_line) {}

  // When set, the parser stops (status Paused) before any operation that is
  // not SUB/UNSUB, so that a connection with subscriptions still being
  // applied on another shard publishes nothing until they are visible.
  // While held, only interest changes pass (a client's SUB/UNSUB, a route's
  // RS+/RS-): whatever else comes waits until the holder lets go.
  void set_hold(bool hold) { hold_ = hold; }
  bool hold() const { return hold_; }
  // When set, the first byte of the next operation must start CONNECT.
  void set_require_connect(bool on) { require_connect_ = on; }
  void set_max_control_line(size_t n) { max_control_line_ = n; }
  bool at_op_start() const { return state_ == State::Start; }

  template <class H>
  FeedResult feed(const char* buf, size_t len, H& h);

 private:
  enum class State : uint8_t { Start, OpWord, NeedSpace, ArgSpace, Arg, ToEol, Payload, EndCR, EndLF };

  static constexpr size_t kRouteLineLimit = 1 << 20;
  static constexpr int kMaxCand = 3;

  bool start_word(char b);
  bool step_word(char b);  // false = unknown op
  ErrCode build_msg_args(std::string_view arg);
  bool pub_args_fast(std::string_view arg);  // the common PUB line, else false
  // The common PUB line, "subject [reply] digits\r\n" with nothing unusual
  // in it, framed in one pass from `p` (the subject's first byte): fills
  // msg_ and returns the position of its '\n', else null (and msg_ is left
  // for the general path to fill).
  const char* frame_pub_line(const char* p, const char* end);
  void rebase_msg_args();  // point msg_ views into arg_buf_
  size_t line_limit() const {
    return kind_ == ConnKind::Client ? max_control_line_ : kRouteLineLimit;
  }
  void reset_op() {
    state_ = State::Start;
    arg_buf_.clear();
    arg_split_ = false;
    storage_ = nullptr;
    have_ = 0;
  }

  bool passes_hold(const char* p, size_t n) const {
    const char b = static_cast<char>(p[0] | 0x20);
    if (kind_ == ConnKind::Client) return b == 's' || b == 'u';
    return b == 'r' && n >= 2 && (p[1] | 0x20) == 's';  // RS+/RS-; unsure with one byte: wait
  }
  ConnKind kind_;
  size_t max_control_line_;
  bool hold_ = false;
  bool require_connect_ = false;
  State state_ = State::Start;
  Op op_ = Op::None;
  // Op-word matching: candidate words still possible and how far we are.
  const char* cand_[kMaxCand] = {};
  Op cand_op_[kMaxCand] = {};
  int ncand_ = 0;
  int pos_ = 0;
  bool arg_first_ = false;  // nats takes the first argument byte as is
  bool arg_split_ = false;
  std::string arg_buf_;
  MsgArgs msg_;
  char* storage_ = nullptr;
  int64_t have_ = 0;
};

// ---------------------------------------------------------------------------

template <class H>
FeedResult Parser::feed(const char* buf, size_t len, H& h) {
  size_t i = 0;
  auto fail = [&](ErrCode e) { return FeedResult{i, FeedResult::Error, e}; };
  while (i < len) {
    switch (state_) {
      case State::Start: {
        char b = buf[i];
        if (require_connect_ && b != 'C' && b != 'c') return fail(ErrCode::AuthViolation);
        if (hold_ && !passes_hold(buf + i, len - i)) return FeedResult{i, FeedResult::Paused, ErrCode::None};
        // Fast path for the operation that dominates traffic.
        if (len - i >= 4 && (b | 0x20) == 'p' && (buf[i + 1] | 0x20) == 'u' &&
            (buf[i + 2] | 0x20) == 'b' && is_arg_space(buf[i + 3])) {
          op_ = Op::Pub;
          i += 4;
          state_ = State::ArgSpace;
          // The whole control line in this
          // buffer: frame it in one step. Anything unusual (a line that is
          // split, too long or wrong, a first argument byte that is CR or
          // LF) takes the byte-state path below from here, which reports
          // exactly what it always did.
          size_t a = i;
          while (a < len && is_arg_space(buf[a])) ++a;
          if (a + 1 >= len || buf[a] == '\r' || buf[a] == '\n') break;
          const char* nl = frame_pub_line(buf + a, buf + len);
          if (nl == nullptr) {
            nl = static_cast<const char*>(std::memchr(buf + a + 1, '\n', len - a - 1));
            if (nl == nullptr) break;
            std::string_view arg(buf + a, static_cast<size_t>(nl - buf) - a);
            if (arg.size() > 1 && arg.back() == '\r') arg.remove_suffix(1);
            if (arg.size() > line_limit() || build_msg_args(arg) != ErrCode::None) break;
          }
          i = static_cast<size_t>(nl - buf) + 1;
          if (h.on_msg_args(msg_) == Flow::Stop) return FeedResult{i, FeedResult::Stopped, ErrCode::None};
          have_ = 0;
          storage_ = nullptr;
          const size_t size = static_cast<size_t>(msg_.size);
          if (len - i >= size + 2 && buf[i + size] == '\r' && buf[i + size + 1] == '\n') {
            // The whole payload too (the Payload state's own case, inline).
            std::string_view payload(buf + i, size);
            i += size + 2;
            Flow f = h.on_msg(msg_, payload, false);
            state_ = State::Start;
            if (f == Flow::Pause) return FeedResult{i, FeedResult::Paused, ErrCode::None};
            if (f == Flow::Stop) return FeedResult{i, FeedResult::Stopped, ErrCode::None};
            break;
          }
          state_ = State::Payload;
          break;  // the payload: the Payload state, next
        }
        if (!start_word(b)) return fail(ErrCode::UnknownOp);
        ++i;
        state_ = State::OpWord;
        break;
      }
      case State::OpWord: {
        if (!step_word(buf[i])) return fail(ErrCode::UnknownOp);
        ++i;
        break;
      }
      case State::NeedSpace:
        if (!is_arg_space(buf[i])) return fail(ErrCode::UnknownOp);
        ++i;
        state_ = State::ArgSpace;
        break;
      case State::ArgSpace:
        while (i < len && is_arg_space(buf[i])) ++i;
        if (i < len) {
          state_ = State::Arg;
          arg_first_ = true;
        }
        break;
      case State::Arg: {
        size_t scan = i + (arg_first_ ? 1 : 0);
        const char* nl = scan < len
            ? static_cast<const char*>(std::memchr(buf + scan, '\n', len - scan)) : nullptr;
        if (nl == nullptr) {
          arg_buf_.append(buf + i, len - i);
          arg_split_ = true;
          arg_first_ = false;
          size_t n = arg_buf_.size();
          if (n && arg_buf_.back() == '\r') --n;
          i = len;
          if (n > line_limit()) return fail(ErrCode::MaxControlLine);
          break;
        }
        size_t e = static_cast<size_t>(nl - buf);
        std::string_view arg;
        if (arg_split_) {
          arg_buf_.append(buf + i, e - i);
          arg = arg_buf_;
        } else {
          arg = std::string_view(buf + i, e - i);
        }
        // A trailing CR is dropped, except when it is the argument's only
        // byte: nats takes the first argument byte as is, and that holds
        // whether or not the line was split across reads.
        if (arg.size() > 1 && arg.back() == '\r') arg.remove_suffix(1);
        arg_first_ = false;
        i = e + 1;
        if (arg.size() > line_limit()) return fail(ErrCode::MaxControlLine);
        if (op_ == Op::Pub || op_ == Op::Hpub || op_ == Op::Rmsg || op_ == Op::Hmsg || op_ == Op::Lmsg) {
          ErrCode ec = build_msg_args(arg);
          if (ec != ErrCode::None) return fail(ec);
          Flow f = h.on_msg_args(msg_);
          if (f == Flow::Stop) return FeedResult{i, FeedResult::Stopped, ErrCode::None};
          state_ = State::Payload;
          have_ = 0;
          storage_ = nullptr;
          break;
        }
        Op op = op_;
        Flow f = h.on_op(op, arg);
        reset_op();
        if (f == Flow::Pause) return FeedResult{i, FeedResult::Paused, ErrCode::None};
        if (f == Flow::Stop) return FeedResult{i, FeedResult::Stopped, ErrCode::None};
        break;
      }
      case State::ToEol: {
        const char* nl = static_cast<const char*>(std::memchr(buf + i, '\n', len - i));
        if (nl == nullptr) { i = len; break; }
        i = static_cast<size_t>(nl - buf) + 1;
        Op op = op_;
        reset_op();
        Flow f = h.on_op(op, std::string_view());
        if (f == Flow::Pause) return FeedResult{i, FeedResult::Paused, ErrCode::None};
        if (f == Flow::Stop) return FeedResult{i, FeedResult::Stopped, ErrCode::None};
        break;
      }
      case State::Payload: {
        size_t size = static_cast<size_t>(msg_.size);
        if (storage_ == nullptr && len - i >= size + 2) {
          // Whole payload in this buffer: hand it on as a view.
          if (buf[i + size] != '\r') { i += size; return fail(ErrCode::UnknownOp); }
          if (buf[i + size + 1] != '\n') { i += size + 1; return fail(ErrCode::UnknownOp); }
          std::string_view payload(buf + i, size);
          i += size + 2;
          Flow f = h.on_msg(msg_, payload, false);
          reset_op();
          if (f == Flow::Pause) return FeedResult{i, FeedResult::Paused, ErrCode::None};
          if (f == Flow::Stop) return FeedResult{i, FeedResult::Stopped, ErrCode::None};
          break;
        }
        if (storage_ == nullptr) {
          rebase_msg_args();
          storage_ = h.payload_storage(msg_);
          if (storage_ == nullptr) return FeedResult{i, FeedResult::Stopped, ErrCode::None};
        }
        size_t take = std::min(len - i, size - static_cast<size_t>(have_));
        std::memcpy(storage_ + have_, buf + i, take);
        have_ += static_cast<int64_t>(take);
        i += take;
        if (static_cast<size_t>(have_) == size) state_ = State::EndCR;
        break;
      }
      case State::EndCR:
        if (buf[i] != '\r') return fail(ErrCode::UnknownOp);
        ++i;
        state_ = State::EndLF;
        break;
      case State::EndLF: {
        if (buf[i] != '\n') return fail(ErrCode::UnknownOp);
        ++i;
        bool stored = storage_ != nullptr;
        std::string_view payload(storage_ ? storage_ : "", static_cast<size_t>(msg_.size));
        Flow f = h.on_msg(msg_, payload, stored);
        reset_op();
        if (f == Flow::Pause) return FeedResult{i, FeedResult::Paused, ErrCode::None};
        if (f == Flow::Stop) return FeedResult{i, FeedResult::Stopped, ErrCode::None};
        break;
      }
    }
  }
  // Views into this buffer die when it is recycled: keep a split message's
  // control line in our own storage.
  if ((state_ == State::Payload || state_ == State::EndCR || state_ == State::EndLF) &&
      !arg_split_) {
    rebase_msg_args();
  }
  return FeedResult{i, FeedResult::Done, ErrCode::None};
}

}  // namespace ringnats::proto
