// Route protocol arguments: splitting RS+/RS-/LS+/LS-/RMSG/HMSG/LMSG argument
// text exactly as nats-server 2.9.10 does (views into the input, no copies),
// and writing those lines byte-for-byte as nats does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ringnats::proto {

// Every status but Ok makes nats close the route with no -ERR.
enum class RouteArgStatus : uint8_t {
  Ok,
  WrongArgCount,      // "Parse Error"
  BadReplyIndicator,  // "Bad or Missing Reply Indicator"
  BadHeaderSize,      // "Bad or Missing Header Size"
  BadSize,            // "Bad or Missing Size"
  HeaderTooLarge,     // "Header Size larger then TotalSize"
};

constexpr bool route_arg_closes(RouteArgStatus s) { return s != RouteArgStatus::Ok; }
// nats' wording, for log lines.
std::string_view route_arg_error_text(RouteArgStatus s);

// nats splits route arguments on runs of space, tab, CR and LF.
inline bool is_route_arg_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Walks the tokens of a span such as RoutedMsgArgs::queues.
class ArgTokens {
 public:
  explicit ArgTokens(std::string_view s) : s_(s) {}
  bool next(std::string_view& tok);

 private:
  std::string_view s_;
  size_t i_ = 0;
};

// RS+ / LS+: `[<origin>] <acc> <subj> [<queue> <weight>]`; RS- / LS-: `<acc> <subj> [<queue>]`.
struct RemoteSubArgs {
  std::string_view origin;  // LS+ only
  std::string_view account;
  std::string_view subject;
  std::string_view queue;  // empty: plain interest
  // nats takes the weight through its size parser and does not check it:
  // anything but 1-9 digits is stored as -1 (and such a member is never picked).
  int32_t weight = 0;
  // The text nats keys the remote interest by, for matching RS- to RS+: the
  // arguments (after the origin) minus the weight; an RS- key is its whole text.
  std::string_view key;
};

RouteArgStatus parse_remote_sub(std::string_view args, RemoteSubArgs& out, bool has_origin = false);
RouteArgStatus parse_remote_unsub(std::string_view args, RemoteSubArgs& out);

// The largest queue weight we take from a peer. A weight is the number of
// members the peer has in the group, and a route's queue entry counts that
// many times when a member is picked; nats-server 2.9.10 even expands it into
// that many list entries (so `RS+ $G q g 999999999` hangs it). At the cap, a
// group's total over 4095 routes still fits in 32 bits.
inline constexpr uint32_t kMaxRouteQueueWeight = 1u << 20;
// What a parsed RS+/LS+ weight counts for: 0 for a bad or zero weight (such
// a member is never picked, as in nats), at most kMaxRouteQueueWeight.
constexpr uint32_t route_queue_weight(int32_t w) {
  return w <= 0 ? 0u : static_cast<uint32_t>(w) > kMaxRouteQueueWeight ? kMaxRouteQueueWeight : static_cast<uint32_t>(w);
}

enum class RoutedOp : uint8_t { Rmsg, Hmsg, Lmsg };

// RMSG `<acc> <subj> [reply | "|" q.. | "+" reply q..] <size>`;
// HMSG the same with `<hdr> <total>`; LMSG `<origin>` first, then as HMSG.
struct RoutedMsgArgs {
  std::string_view origin;  // LMSG only
  std::string_view account;
  std::string_view subject;
  std::string_view reply;
  std::string_view queues;  // from the first to the last queue name; walk with ArgTokens
  size_t nqueues = 0;
  int64_t hdr = -1;  // -1 for RMSG
  int64_t size = 0;  // total bytes (headers included)
};

RouteArgStatus parse_routed_msg(RoutedOp op, std::string_view args, RoutedMsgArgs& out);
inline RouteArgStatus parse_rmsg(std::string_view a, RoutedMsgArgs& o) { return parse_routed_msg(RoutedOp::Rmsg, a, o); }
inline RouteArgStatus parse_hmsg(std::string_view a, RoutedMsgArgs& o) { return parse_routed_msg(RoutedOp::Hmsg, a, o); }
inline RouteArgStatus parse_lmsg(std::string_view a, RoutedMsgArgs& o) { return parse_routed_msg(RoutedOp::Lmsg, a, o); }

// ---- Writers. Each writes one whole line ending in CRLF. ------------------
// The *_size functions give the exact length; the char* forms write it into
// `buf` and return that length, or 0 (writing nothing) when cap is too small.

// `RS+ <acc> <subj>[ <queue> <weight>]`. Like nats, a weight <= 0 leaves the
// digits out (nats never sends that: local queue weights start at 1).
size_t rs_plus_size(std::string_view acc, std::string_view subj, std::string_view queue = {}, int32_t weight = 0);
size_t write_rs_plus(char* buf, size_t cap, std::string_view acc, std::string_view subj,
                     std::string_view queue = {}, int32_t weight = 0);
void append_rs_plus(std::string& out, std::string_view acc, std::string_view subj, std::string_view queue = {},
                    int32_t weight = 0);

// `RS- <acc> <subj>[ <queue>]` (never a weight).
size_t rs_minus_size(std::string_view acc, std::string_view subj, std::string_view queue = {});
size_t write_rs_minus(char* buf, size_t cap, std::string_view acc, std::string_view subj,
                      std::string_view queue = {});
void append_rs_minus(std::string& out, std::string_view acc, std::string_view subj, std::string_view queue = {});

// The control line of a routed message. With queues: `| q1 q2` or
// `+ <reply> q1 q2`; without: `[<reply>]`. hdr < 0 writes RMSG <size>;
// hdr >= 0 writes HMSG <hdr> <size>. (nats sends a message whose header block
// is empty, or a header message to a route without header support, as RMSG
// with the header bytes removed: the caller decides that.)
struct RoutedMsgLine {
  std::string_view account;
  std::string_view subject;
  std::string_view reply;
  std::span<const std::string_view> queues;
  int64_t hdr = -1;
  int64_t size = 0;
  // When set, written instead of hdr/size: nats forwards the publisher's own
  // digits (leading zeros included) unless it had to recompute the size.
  std::string_view hdr_text;
  std::string_view size_text;
};

size_t routed_msg_size(const RoutedMsgLine& m);
size_t write_routed_msg(char* buf, size_t cap, const RoutedMsgLine& m);
void append_routed_msg(std::string& out, const RoutedMsgLine& m);

}  // namespace ringnats::proto
