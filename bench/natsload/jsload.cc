// jsload: JetStream load through libnats' JetStream API, as an application
// publishes and consumes: js_PublishAsync with acks (libnats' default window
// of outstanding publishes), a latency pass of synchronous js_Publish calls,
// and a pull consumer fetching batches and acking each message. Prints one
// JSON object: acked publishes per second, p50/p99 publish-ack latency,
// consumed per second, and this process's CPU.
//
//   jsload --server URL [--phase all|pub|lat|fetch] [--msgs N] [--size B] [--latency N]
//          [--storage file|memory] [--batch N]
// The phases can run as separate processes (pub creates the stream, fetch
// consumes what it holds), so a driver can measure the server per phase.
#include <nats/nats.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double cpu_secs() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int die(const char* what, natsStatus s, jsErrCode e = static_cast<jsErrCode>(0)) {
  std::fprintf(stderr, "jsload: %s: %s (%d) %s\n", what, natsStatus_GetText(s), static_cast<int>(e),
               nats_GetLastError(nullptr) ? nats_GetLastError(nullptr) : "");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url = "nats://127.0.0.1:4222", storage = "file", phase = "all";
  long msgs = 200000, size = 128, latency = 5000, batch = 256;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--server") url = v;
    else if (k == "--msgs") msgs = std::atol(v.c_str());
    else if (k == "--size") size = std::atol(v.c_str());
    else if (k == "--latency") latency = std::atol(v.c_str());
    else if (k == "--storage") storage = v;
    else if (k == "--batch") batch = std::atol(v.c_str());
    else if (k == "--phase") phase = v;
    else {
      std::fprintf(stderr, "jsload: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  natsConnection* nc = nullptr;
  natsStatus s = natsConnection_ConnectTo(&nc, url.c_str());
  if (s != NATS_OK) return die("connect", s);
  jsCtx* js = nullptr;
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 10000;
  if ((s = natsConnection_JetStream(&js, nc, &jo)) != NATS_OK) return die("jetstream", s);
  jsErrCode je = static_cast<jsErrCode>(0);
  const bool do_pub = phase == "all" || phase == "pub", do_lat = phase == "all" || phase == "lat",
             do_fetch = phase == "all" || phase == "fetch";
  if (!do_pub) msgs = 0;
  if (!do_lat) latency = 0;
  if (do_pub) js_DeleteStream(js, "BENCH", nullptr, &je);
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  const char* subjects[] = {"bench.js"};
  cfg.Name = "BENCH";
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Storage = storage == "memory" ? js_MemoryStorage : js_FileStorage;
  jsStreamInfo* si = nullptr;
  if (do_pub && (s = js_AddStream(&si, js, &cfg, nullptr, &je)) != NATS_OK) return die("add stream", s, je);
  jsStreamInfo_Destroy(si);
  si = nullptr;
  std::vector<char> payload(static_cast<size_t>(size), 'x');

  // 1. Async publishes with acks.
  double c0 = cpu_secs();
  int64_t t0 = now_ns();
  for (long i = 0; i < msgs; ++i) {
    s = js_PublishAsync(js, "bench.js", payload.data(), static_cast<int>(size), nullptr);
    if (s != NATS_OK) return die("publish async", s);
  }
  int nfailed = 0;
  if (msgs > 0) {  // (libnats has no async state before the first async publish)
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 60000;
    if ((s = js_PublishAsyncComplete(js, &po)) != NATS_OK) return die("publish async complete", s);
    natsMsgList failed{};
    if (js_PublishAsyncGetPendingList(&failed, js) == NATS_OK) {
      nfailed = failed.Count;
      natsMsgList_Destroy(&failed);
    }
  }
  int64_t t1 = now_ns();
  double c1 = cpu_secs();

  // 2. Publish-ack latency, one at a time.
  std::vector<int64_t> lat;
  lat.reserve(static_cast<size_t>(latency));
  for (long i = 0; i < latency; ++i) {
    jsPubAck* pa = nullptr;
    int64_t a = now_ns();
    s = js_Publish(&pa, js, "bench.js", payload.data(), static_cast<int>(size), nullptr, &je);
    int64_t b = now_ns();
    if (s != NATS_OK) return die("publish", s, je);
    jsPubAck_Destroy(pa);
    lat.push_back(b - a);
  }
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) { return lat.empty() ? 0 : lat[std::min(lat.size() - 1, static_cast<size_t>(p * lat.size()))]; };

  // 3. A pull consumer takes everything back, acking each message.
  natsSubscription* sub = nullptr;
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Config.MaxAckPending = -1;
  if (do_fetch && (s = js_PullSubscribe(&sub, js, "bench.js", "bench", nullptr, &so, &je)) != NATS_OK)
    return die("pull subscribe", s, je);
  long want = 0, got = 0;
  if (do_fetch) {
    if ((s = js_GetStreamInfo(&si, js, "BENCH", nullptr, &je)) != NATS_OK) return die("stream info", s, je);
    want = static_cast<long>(si->State.Msgs);
    jsStreamInfo_Destroy(si);
  }
  double c2 = cpu_secs();
  int64_t t2 = now_ns();
  while (got < want) {
    natsMsgList list{};
    s = natsSubscription_Fetch(&list, sub, static_cast<int>(std::min(batch, want - got)), 10000, &je);
    if (s != NATS_OK) return die("fetch", s, je);
    for (int i = 0; i < list.Count; ++i) natsMsg_Ack(list.Msgs[i], nullptr);
    got += list.Count;
    natsMsgList_Destroy(&list);
  }
  natsConnection_Flush(nc);
  int64_t t3 = now_ns();
  double c3 = cpu_secs();
  if (sub) natsSubscription_Destroy(sub);

  std::printf(
      "{\"tool\":\"jsload\",\"msgs\":%ld,\"size\":%ld,\"storage\":\"%s\",\"failed\":%d,"
      "\"pub_secs\":%.6f,\"acked_per_sec\":%.1f,\"pub_load_cpu_secs\":%.6f,"
      "\"lat_p50_us\":%.1f,\"lat_p99_us\":%.1f,\"lat_p999_us\":%.1f,"
      "\"consumed\":%ld,\"fetch_secs\":%.6f,\"consumed_per_sec\":%.1f,\"fetch_load_cpu_secs\":%.6f}\n",
      msgs, size, storage.c_str(), nfailed, static_cast<double>(t1 - t0) / 1e9,
      msgs ? static_cast<double>(msgs) * 1e9 / static_cast<double>(t1 - t0) : 0.0, c1 - c0, pct(0.5) / 1e3, pct(0.99) / 1e3,
      pct(0.999) / 1e3, got, static_cast<double>(t3 - t2) / 1e9,
      got ? static_cast<double>(got) * 1e9 / static_cast<double>(t3 - t2) : 0.0, c3 - c2);
  if (phase == "all" || phase == "fetch") js_DeleteStream(js, "BENCH", nullptr, &je);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  nats_Close();
  return nfailed ? 3 : 0;
}
