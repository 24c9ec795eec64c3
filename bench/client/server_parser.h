// Client-side parser of server->client NATS ops (INFO, MSG, HMSG, PING, PONG,
// +OK, -ERR). It works in place on the caller's buffer and never copies: a
// partial op at the end of the buffer is reported as NeedMore with the byte
// count required, and the caller keeps those bytes for the next read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ringnats::bench {

enum class ServerOp : uint8_t { Info, Msg, Ping, Pong, Ok, Err };

enum class ParseStatus : uint8_t { Done, NeedMore, Error };

// One parsed op. Views point into the buffer given to parse_server_op.
struct ServerEvent {
  ServerOp op = ServerOp::Ping;
  std::string_view subject;
  std::string_view sid;
  uint64_t sid_num = 0;       // numeric value of sid when it is all digits
  std::string_view reply;
  std::string_view headers;   // HMSG header block (empty for MSG)
  std::string_view payload;   // MSG/HMSG payload (after headers)
  std::string_view text;      // INFO json, -ERR text (quotes stripped)
};

struct ParseResult {
  ParseStatus status;
  size_t consumed;  // bytes of the op when Done
  size_t need;      // total bytes the op needs when NeedMore (0 = unknown, line incomplete)
};

// Parses exactly one op from the start of [p, p+n).
ParseResult parse_server_op(const char* p, size_t n, ServerEvent& ev);

// Longest control line accepted before we call the stream broken.
inline constexpr size_t kMaxServerLine = 64 * 1024;

}  // namespace ringnats::bench
