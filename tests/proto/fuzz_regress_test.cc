// Inputs found by the fuzz targets in tests/fuzz, kept as unit tests. Each
// test names the target and what it caught.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/parser.h"

using namespace ringnats::proto;

namespace {

struct Log {
  std::vector<std::string> events;
  std::string storage;
  Flow on_op(Op op, std::string_view args) {
    events.push_back(std::to_string(static_cast<int>(op)) + "[" + std::string(args) + "]");
    return Flow::Continue;
  }
  Flow on_msg_args(const MsgArgs&) { return Flow::Continue; }
  char* payload_storage(const MsgArgs& m) {
    storage.assign(static_cast<size_t>(m.size), '\0');
    return storage.data();
  }
  Flow on_msg(const MsgArgs& m, std::string_view payload, bool) {
    events.push_back("msg " + std::string(m.args) + "|" + std::string(payload));
    return Flow::Continue;
  }
};

// Feeds `in` in chunks of `step` bytes (0: whole), each chunk its own buffer.
std::vector<std::string> feed(ConnKind kind, const std::string& in, size_t step) {
  Parser p(kind);
  Log log;
  for (size_t pos = 0; pos < in.size();) {
    size_t n = step ? std::min(step, in.size() - pos) : in.size();
    std::string chunk = in.substr(pos, n);
    FeedResult r = p.feed(chunk.data(), chunk.size(), log);
    if (r.status == FeedResult::Error) {
      log.events.push_back("error");
      break;
    }
    pos += n;
  }
  return log.events;
}

}  // namespace

// fuzz_client_parser / fuzz_route_parser: an argument that is a lone CR
// ("SUB \r\n", "INFO\r\n" after the op word) came out as "\r" when the line
// arrived in one read but as "" when it was split right after the CR. nats
// takes the first argument byte as is, so it is "\r" either way.
TEST(FuzzRegress, LoneCrArgumentSameWholeAndSplit) {
  for (ConnKind kind : {ConnKind::Client, ConnKind::Route}) {
    for (std::string in : {"SUB \r\nPING\r\n", "INFO\r\nPING\r\n", "CONNECT \r\n", "UNSUB \r\n"}) {
      auto whole = feed(kind, in, 0);
      ASSERT_FALSE(whole.empty()) << in;
      EXPECT_EQ(whole.front().substr(whole.front().find('[')), "[\r]") << in;
      for (size_t step = 1; step < in.size(); ++step)
        EXPECT_EQ(feed(kind, in, step), whole) << "step " << step << " for " << in;
    }
  }
}
