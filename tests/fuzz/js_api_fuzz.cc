// libFuzzer target: what a client sends the JetStream API before anything
// is stored. The input is decoded as a stream config and as a consumer
// request, checked and defaulted as a create would, and written back; the
// written JSON must parse again. Header lookups and pull-request times too.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "jetstream/consumer_config.h"
#include "jetstream/headers.h"
#include "jetstream/stream_config.h"

namespace {
using namespace ringnats::js;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz invariant failed: %s\n", what);
    std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  StreamConfig sc, checked;
  if (!parse_stream_config(in, sc) && !check_stream_config(sc, checked)) {
    std::string text = go_json(to_json(checked));
    require(nlohmann::json::accept(text), "stream config JSON is valid");
    StreamConfig again, again_checked;
    require(!parse_stream_config(text, again), "stream config JSON decodes again");
  }
  std::string stream;
  ConsumerConfig cc;
  if (!parse_consumer_request(in, stream, cc)) {
    default_consumer_config(cc, cc.durable.empty());
    StreamConfig s;
    s.name = "S";
    s.subjects = {"a.>", "b"};
    s.replicas = 1;
    check_consumer_config(cc, s);
    std::string text = go_json(to_json(cc));
    require(nlohmann::json::accept(text), "consumer config JSON is valid");
  }
  header_value(in, "Nats-Msg-Id");
  header_int(header_value(in, "Nats-Expected-Last-Sequence"));
  int64_t ns = 0;
  parse_go_time(in, ns);
  return 0;
}
