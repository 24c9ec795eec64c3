// 1:1 publish/subscribe over TLS with libnats, for tools/bench-tls: one
// publisher and one subscriber connection, N messages of S bytes, prints
// "delivered=<n> seconds=<s>". Any NATS server; certificates from the
// command line. Single-purpose benchmark client, one process, two threads.
#include <nats/nats.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s <tls://host:port> <ca.pem> <count> <size>\n", argv[0]);
    return 2;
  }
  const char* url = argv[1];
  const char* ca = argv[2];
  const long n = std::atol(argv[3]);
  const int size = std::atoi(argv[4]);
  nats_Open(-1);
  natsConnection *pub = nullptr, *sub = nullptr;
  for (natsConnection** c : {&pub, &sub}) {
    natsOptions* o = nullptr;
    natsOptions_Create(&o);
    natsOptions_SetURL(o, url);
    natsOptions_SetSecure(o, true);
    natsOptions_LoadCATrustedCertificates(o, ca);
    natsOptions_SetMaxPendingMsgs(o, 1 << 20);  // bytes default to 1 KiB each: more overflows int
    if (natsConnection_Connect(c, o) != NATS_OK) {
      std::fprintf(stderr, "connect failed: %s\n", nats_GetLastError(nullptr));
      return 1;
    }
    natsOptions_Destroy(o);
  }
  natsSubscription* s = nullptr;
  if (natsStatus st = natsConnection_SubscribeSync(&s, sub, "bench.tls"); st != NATS_OK) {
    std::fprintf(stderr, "subscribe: %s %s\n", natsStatus_GetText(st), nats_GetLastError(nullptr));
    return 1;
  }
  if (natsSubscription_SetPendingLimits(s, 10000000, 2000000000) != NATS_OK) std::fprintf(stderr, "limits\n");
  natsConnection_Flush(sub);
  std::string payload(static_cast<size_t>(size), 'b');
  long got = 0;
  auto t0 = std::chrono::steady_clock::now();
  std::thread rd([&] {
    while (got < n) {
      natsMsg* m = nullptr;
      natsStatus st = natsSubscription_NextMsg(&m, s, 10000);
      if (st == NATS_SLOW_CONSUMER) continue;  // reported once; messages dropped are then missing
      if (st != NATS_OK) {
        std::fprintf(stderr, "NextMsg: %s\n", natsStatus_GetText(st));
        break;
      }
      natsMsg_Destroy(m);
      ++got;
    }
  });
  for (long i = 0; i < n; ++i) {
    natsConnection_Publish(pub, "bench.tls", payload.data(), size);
    // Flow control: a round trip every 64k messages keeps the subscriber
    // within its server's max_pending on either server.
    if ((i & 0xffff) == 0xffff) natsConnection_Flush(pub);
  }
  natsConnection_Flush(pub);
  rd.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("delivered=%ld seconds=%.4f\n", got, secs);
  natsSubscription_Destroy(s);
  natsConnection_Destroy(pub);
  natsConnection_Destroy(sub);
  return got == n ? 0 : 1;
}
