// JetStream through libnats 3.4 (Debian's libnats-dev), as applications use
// it: streams created, published to with acks and expectations, read back,
// purged and deleted; key-value buckets; and the crash test: kill -9 under
// publish load, restart, and every acknowledged message is there.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "../integration/harness.h"
#include "js_harness.h"

namespace itest {
namespace {

struct Nc {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  ~Nc() {
    if (js) jsCtx_Destroy(js);
    if (nc) {
      natsConnection_Close(nc);
      natsConnection_Destroy(nc);
    }
  }
};

// prefix + number (written so that GCC 12 sees no overlapping copy).
std::string tagged(const char* prefix, long n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}


class JetStreamLibnats : public ::testing::Test {
 protected:
  void start(int shards = 2) {
    std::string err;
    ASSERT_TRUE(srv_.start(ringnats_bin(), shards, {"-js", "-sd", dir_.path}, &err)) << err;
  }
  // Stops (or reaps a killed server) and starts again on the same port; the
  // kernel may hold the port for a moment after a SIGKILL, so binding is
  // tried a bounded number of times.
  void restart(int shards = 2) {
    srv_.stop();
    int port = srv_.port();
    std::string err;
    for (int attempt = 0; attempt < 50; ++attempt) {
      srv_.pin_port(port);
      std::vector<std::string> args = {"-js", "-sd", dir_.path};
      if (conf_) args = {"-c", conf_->path()};
      if (srv_.start(ringnats_bin(), shards, args, &err)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "restart on port " << port << ": " << err;
  }
  // With a config file: "jetstream { store_dir: <dir> }" comes first.
  void start_conf(const std::string& body) {
    conf_ = std::make_unique<TempConfig>("jetstream { store_dir: \"" + dir_.path + "\" }\n" + body);
    std::string err;
    ASSERT_TRUE(srv_.start(ringnats_bin(), 2, {"-c", conf_->path()}, &err)) << err;
  }
  void connect(Nc& c, const char* user = nullptr, const char* pass = nullptr) {
    natsOptions* o = nullptr;
    ASSERT_EQ(natsOptions_Create(&o), NATS_OK);
    std::string url = "nats://127.0.0.1:" + std::to_string(srv_.port());
    natsOptions_SetURL(o, url.c_str());
    if (user) natsOptions_SetUserInfo(o, user, pass);
    natsOptions_SetAllowReconnect(o, false);
    natsOptions_SetTimeout(o, kTimeoutMs);
    natsStatus s = natsConnection_Connect(&c.nc, o);
    natsOptions_Destroy(o);
    ASSERT_EQ(s, NATS_OK) << natsStatus_GetText(s);
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = kTimeoutMs;
    ASSERT_EQ(natsConnection_JetStream(&c.js, c.nc, &jo), NATS_OK);
  }
  void add_stream(Nc& c, const char* name, std::vector<const char*> subjects, jsStorageType storage = js_FileStorage,
                  void (*tweak)(jsStreamConfig&) = nullptr) {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name;
    cfg.Subjects = subjects.data();
    cfg.SubjectsLen = static_cast<int>(subjects.size());
    cfg.Storage = storage;
    if (tweak) tweak(cfg);
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_AddStream(&si, c.js, &cfg, nullptr, &jerr);
    ASSERT_EQ(s, NATS_OK) << natsStatus_GetText(s) << " jerr " << jerr << " " << nats_GetLastError(nullptr);
    jsStreamInfo_Destroy(si);
  }
  uint64_t publish(Nc& c, const char* subject, const std::string& data, jsPubOptions* po = nullptr,
                   jsErrCode* jerr_out = nullptr, natsStatus* st_out = nullptr) {
    jsPubAck* pa = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_Publish(&pa, c.js, subject, data.data(), static_cast<int>(data.size()), po, &jerr);
    if (jerr_out) *jerr_out = jerr;
    if (st_out) *st_out = s;
    uint64_t seq = s == NATS_OK ? pa->Sequence : 0;
    jsPubAck_Destroy(pa);
    return seq;
  }
  jsStreamState state(Nc& c, const char* stream) {
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    jsStreamState st{};
    if (js_GetStreamInfo(&si, c.js, stream, nullptr, &jerr) == NATS_OK) {
      st = si->State;
      st.Subjects = nullptr;
      st.Deleted = nullptr;
    }
    jsStreamInfo_Destroy(si);
    return st;
  }

  StoreDir dir_;
  std::unique_ptr<TempConfig> conf_;
  ServerProcess srv_;
};

TEST_F(JetStreamLibnats, PublishAcksInOrderAndReadsBack) {
  start();
  Nc c;
  connect(c);
  add_stream(c, "ORDERS", {"orders.>"});
  for (int i = 1; i <= 100; ++i)
    ASSERT_EQ(publish(c, (tagged("orders.", i % 7)).c_str(), tagged("payload ", i)),
              static_cast<uint64_t>(i));
  jsStreamState st = state(c, "ORDERS");
  EXPECT_EQ(st.Msgs, 100u);
  EXPECT_EQ(st.FirstSeq, 1u);
  EXPECT_EQ(st.LastSeq, 100u);
  EXPECT_EQ(st.NumSubjects, 7);

  natsMsg* m = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  ASSERT_EQ(js_GetMsg(&m, c.js, "ORDERS", 42, nullptr, &jerr), NATS_OK);
  EXPECT_EQ(std::string(natsMsg_GetData(m), natsMsg_GetDataLength(m)), "payload 42");
  EXPECT_STREQ(natsMsg_GetSubject(m), "orders.0");
  natsMsg_Destroy(m);
  ASSERT_EQ(js_GetLastMsg(&m, c.js, "ORDERS", "orders.3", nullptr, &jerr), NATS_OK);
  EXPECT_EQ(std::string(natsMsg_GetData(m), natsMsg_GetDataLength(m)), "payload 94");
  natsMsg_Destroy(m);
  EXPECT_NE(js_GetMsg(&m, c.js, "ORDERS", 1000, nullptr, &jerr), NATS_OK);
  EXPECT_EQ(jerr, JSNoMessageFoundErr);
}

TEST_F(JetStreamLibnats, ExpectationsAndDuplicates) {
  start();
  Nc c;
  connect(c);
  add_stream(c, "EXP", {"exp.*"});
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = "id-1";
  EXPECT_EQ(publish(c, "exp.a", "one", &po), 1u);
  EXPECT_EQ(publish(c, "exp.a", "one again", &po), 1u);  // duplicate: the first one's sequence
  EXPECT_EQ(state(c, "EXP").Msgs, 1u);

  jsPubOptions_Init(&po);
  po.ExpectLastSeq = 5;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = NATS_OK;
  EXPECT_EQ(publish(c, "exp.a", "x", &po, &jerr, &s), 0u);
  EXPECT_NE(s, NATS_OK);
  EXPECT_EQ(jerr, JSStreamWrongLastSequenceErr);
  po.ExpectLastSeq = 1;
  EXPECT_EQ(publish(c, "exp.a", "two", &po), 2u);

  jsPubOptions_Init(&po);
  po.ExpectLastSubjectSeq = 2;
  EXPECT_EQ(publish(c, "exp.b", "b", &po, &jerr, &s), 0u);  // exp.b has nothing yet
  EXPECT_EQ(jerr, JSStreamWrongLastSequenceErr);
  po.ExpectLastSubjectSeq = 2;
  EXPECT_EQ(publish(c, "exp.a", "three", &po), 3u);

  jsPubOptions_Init(&po);
  po.ExpectStream = "OTHER";
  EXPECT_EQ(publish(c, "exp.a", "x", &po, &jerr, &s), 0u);
  EXPECT_EQ(jerr, JSStreamNotMatchErr);
}

TEST_F(JetStreamLibnats, LimitsDiscardOldAndPerSubject) {
  start();
  Nc c;
  connect(c);
  add_stream(c, "LIM", {"lim.*"}, js_MemoryStorage, [](jsStreamConfig& cfg) {
    cfg.MaxMsgs = 10;
    cfg.MaxMsgsPerSubject = 3;
  });
  for (int i = 1; i <= 30; ++i) ASSERT_EQ(publish(c, i % 2 ? "lim.odd" : "lim.even", std::to_string(i)), uint64_t(i));
  jsStreamState st = state(c, "LIM");
  EXPECT_EQ(st.Msgs, 6u);  // three per subject
  EXPECT_EQ(st.LastSeq, 30u);
  natsMsg* m = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  ASSERT_EQ(js_GetLastMsg(&m, c.js, "LIM", "lim.odd", nullptr, &jerr), NATS_OK);
  EXPECT_EQ(std::string(natsMsg_GetData(m), natsMsg_GetDataLength(m)), "29");
  natsMsg_Destroy(m);
}

TEST_F(JetStreamLibnats, DiscardNewRefusesPastMaxMsgs) {
  start();
  Nc c;
  connect(c);
  add_stream(c, "DN", {"dn"}, js_FileStorage, [](jsStreamConfig& cfg) {
    cfg.MaxMsgs = 3;
    cfg.Discard = js_DiscardNew;
  });
  for (int i = 1; i <= 3; ++i) ASSERT_EQ(publish(c, "dn", "x"), uint64_t(i));
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = NATS_OK;
  EXPECT_EQ(publish(c, "dn", "x", nullptr, &jerr, &s), 0u);
  EXPECT_EQ(jerr, JSStreamStoreFailedErr);
  EXPECT_EQ(state(c, "DN").Msgs, 3u);
}

TEST_F(JetStreamLibnats, DeletePurgeAndStreamLifecycle) {
  start();
  Nc c;
  connect(c);
  add_stream(c, "LC", {"lc.*"});
  for (int i = 1; i <= 10; ++i) publish(c, i % 2 ? "lc.a" : "lc.b", "v");
  jsErrCode jerr = static_cast<jsErrCode>(0);
  ASSERT_EQ(js_DeleteMsg(c.js, "LC", 4, nullptr, &jerr), NATS_OK);
  EXPECT_NE(js_DeleteMsg(c.js, "LC", 4, nullptr, &jerr), NATS_OK);
  EXPECT_EQ(state(c, "LC").Msgs, 9u);

  jsOptions o;
  jsOptions_Init(&o);
  o.Stream.Purge.Subject = "lc.a";
  ASSERT_EQ(js_PurgeStream(c.js, "LC", &o, &jerr), NATS_OK);
  EXPECT_EQ(state(c, "LC").Msgs, 4u);  // lc.b: 2, 6, 8, 10
  ASSERT_EQ(js_PurgeStream(c.js, "LC", nullptr, &jerr), NATS_OK);
  jsStreamState st = state(c, "LC");
  EXPECT_EQ(st.Msgs, 0u);
  EXPECT_EQ(st.FirstSeq, 11u);
  EXPECT_EQ(publish(c, "lc.a", "after purge"), 11u);

  jsStreamNamesList* names = nullptr;
  ASSERT_EQ(js_StreamNames(&names, c.js, nullptr, &jerr), NATS_OK);
  ASSERT_EQ(names->Count, 1);
  EXPECT_STREQ(names->List[0], "LC");
  jsStreamNamesList_Destroy(names);

  ASSERT_EQ(js_DeleteStream(c.js, "LC", nullptr, &jerr), NATS_OK);
  jsStreamInfo* si = nullptr;
  EXPECT_EQ(js_GetStreamInfo(&si, c.js, "LC", nullptr, &jerr), NATS_NOT_FOUND);
  // Its subjects are plain subjects again: no stream answers.
  jsPubAck* pa = nullptr;
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = 500;
  EXPECT_NE(js_Publish(&pa, c.js, "lc.a", "x", 1, &po, &jerr), NATS_OK);
  jsPubAck_Destroy(pa);
}

TEST_F(JetStreamLibnats, StreamsOnEveryShardAnswerFromAnyConnection) {
  start(4);
  std::vector<std::unique_ptr<Nc>> conns;
  for (int i = 0; i < 4; ++i) {
    conns.push_back(std::make_unique<Nc>());
    connect(*conns.back());
  }
  for (int i = 0; i < 16; ++i) {
    std::string name = std::string("S").append(std::to_string(i));
    std::string subj = std::string("s").append(std::to_string(i)).append(".>");
    add_stream(*conns[static_cast<size_t>(i) % 4], name.c_str(), {subj.c_str()},
               i % 2 ? js_MemoryStorage : js_FileStorage);
  }
  for (int round = 0; round < 10; ++round)
    for (int i = 0; i < 16; ++i)
      ASSERT_EQ(publish(*conns[static_cast<size_t>(round + i) % 4], std::string("s").append(std::to_string(i)).append(".x").c_str(), "v"),
                uint64_t(round + 1));
  jsStreamInfoList* list = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  ASSERT_EQ(js_Streams(&list, conns[1]->js, nullptr, &jerr), NATS_OK);
  ASSERT_EQ(list->Count, 16);
  for (int i = 0; i < list->Count; ++i) EXPECT_EQ(list->List[i]->State.Msgs, 10u);
  jsStreamInfoList_Destroy(list);
}

// With accounts, JetStream is each account's own, for the accounts that
// enable it (as nats-server): the same stream name in two accounts is two
// streams; max_streams and max_consumers hold; an account without it gets
// nats' 10039 on account info and nothing else.
TEST_F(JetStreamLibnats, AccountsHaveTheirOwnJetStream) {
  start_conf(
      "accounts {\n"
      "  A: { users: [{user: a, password: pa}], jetstream: enabled }\n"
      "  B: { users: [{user: b, password: pb}], jetstream: { max_streams: 1, max_consumers: 1 } }\n"
      "  C: { users: [{user: c, password: pc}] }\n"
      "}\n");
  Nc a, b, c;
  connect(a, "a", "pa");
  connect(b, "b", "pb");
  connect(c, "c", "pc");
  add_stream(a, "S", {"x.>"});
  add_stream(b, "S", {"x.>"});
  EXPECT_EQ(publish(a, "x.1", "from a"), 1u);
  EXPECT_EQ(publish(a, "x.2", "from a"), 2u);
  EXPECT_EQ(publish(b, "x.1", "from b"), 1u);
  EXPECT_EQ(state(a, "S").Msgs, 2u);
  EXPECT_EQ(state(b, "S").Msgs, 1u);

  // B's limits.
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  const char* subjects[] = {"y.>"};
  cfg.Name = "T";
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  EXPECT_NE(js_AddStream(&si, b.js, &cfg, nullptr, &jerr), NATS_OK);
  EXPECT_EQ(jerr, JSMaximumStreamsLimitErr);
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = "one";
  cc.AckPolicy = js_AckExplicit;
  jsConsumerInfo* ci = nullptr;
  ASSERT_EQ(js_AddConsumer(&ci, b.js, "S", &cc, nullptr, &jerr), NATS_OK) << jerr;
  jsConsumerInfo_Destroy(ci);
  cc.Durable = "two";
  EXPECT_NE(js_AddConsumer(&ci, b.js, "S", &cc, nullptr, &jerr), NATS_OK);
  EXPECT_EQ(jerr, JSMaximumConsumersLimitErr);
  jsAccountInfo* ai = nullptr;
  ASSERT_EQ(js_GetAccountInfo(&ai, b.js, nullptr, &jerr), NATS_OK) << jerr;
  EXPECT_EQ(ai->Streams, 1);
  EXPECT_EQ(ai->Limits.MaxStreams, 1);
  EXPECT_EQ(ai->Limits.MaxConsumers, 1);
  jsAccountInfo_Destroy(ai);

  // C has none.
  EXPECT_NE(js_GetAccountInfo(&ai, c.js, nullptr, &jerr), NATS_OK);
  EXPECT_EQ(jerr, JSNotEnabledForAccountErr);
  jsOptions quick;
  jsOptions_Init(&quick);
  quick.Wait = 300;
  EXPECT_NE(js_AddStream(&si, c.js, &cfg, &quick, &jerr), NATS_OK);

  // After a restart each account finds its own stream again.
  restart();
  Nc a2, b2;
  connect(a2, "a", "pa");
  connect(b2, "b", "pb");
  EXPECT_EQ(state(a2, "S").Msgs, 2u);
  EXPECT_EQ(state(b2, "S").Msgs, 1u);
}

TEST_F(JetStreamLibnats, KeyValuePutGetUpdateDelete) {
  start();
  Nc c;
  connect(c);
  kvConfig kc;
  kvConfig_Init(&kc);
  kc.Bucket = "CFG";
  kc.History = 3;
  kvStore* kv = nullptr;
  ASSERT_EQ(js_CreateKeyValue(&kv, c.js, &kc), NATS_OK) << nats_GetLastError(nullptr);
  uint64_t rev = 0;
  ASSERT_EQ(kvStore_PutString(&rev, kv, "color", "red"), NATS_OK);
  EXPECT_EQ(rev, 1u);
  kvEntry* e = nullptr;
  ASSERT_EQ(kvStore_Get(&e, kv, "color"), NATS_OK);
  EXPECT_STREQ(kvEntry_ValueString(e), "red");
  kvEntry_Destroy(e);
  ASSERT_EQ(kvStore_Update(&rev, kv, "color", "blue", 4, 1), NATS_OK);
  EXPECT_EQ(rev, 2u);
  EXPECT_NE(kvStore_Update(&rev, kv, "color", "green", 5, 1), NATS_OK);  // compare-and-set lost
  ASSERT_EQ(kvStore_Create(&rev, kv, "size", "L", 1), NATS_OK);
  EXPECT_NE(kvStore_Create(&rev, kv, "size", "M", 1), NATS_OK);  // exists
  ASSERT_EQ(kvStore_Delete(kv, "color"), NATS_OK);
  EXPECT_EQ(kvStore_Get(&e, kv, "color"), NATS_NOT_FOUND);
  ASSERT_EQ(kvStore_Create(&rev, kv, "color", "pink", 4), NATS_OK);  // allowed after a delete
  ASSERT_EQ(kvStore_Get(&e, kv, "color"), NATS_OK);
  EXPECT_STREQ(kvEntry_ValueString(e), "pink");
  kvEntry_Destroy(e);
  kvStore_Destroy(kv);
}

TEST_F(JetStreamLibnats, PullConsumerFetchAckAndRedeliver) {
  start();
  Nc c;
  connect(c);
  add_stream(c, "PULL", {"pull.*"});
  for (int i = 1; i <= 20; ++i) publish(c, "pull.a", tagged("m", i));
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Config.AckWait = 500 * 1000 * 1000;  // ns
  ASSERT_EQ(js_PullSubscribe(&sub, c.js, "pull.a", "worker", nullptr, &so, &jerr), NATS_OK) << jerr;
  natsMsgList list{};
  ASSERT_EQ(natsSubscription_Fetch(&list, sub, 10, kTimeoutMs, &jerr), NATS_OK);
  ASSERT_EQ(list.Count, 10);
  for (int i = 0; i < list.Count; ++i) {
    EXPECT_EQ(std::string(natsMsg_GetData(list.Msgs[i]), natsMsg_GetDataLength(list.Msgs[i])), tagged("m", i + 1));
    if (i != 3) {
      EXPECT_EQ(natsMsg_AckSync(list.Msgs[i], nullptr, &jerr), NATS_OK);  // m4 is never acked
    }
  }
  natsMsgList_Destroy(&list);
  // The next fetch gets m11.. first; m4 comes back once its ack wait is over, as a redelivery.
  ASSERT_EQ(natsSubscription_Fetch(&list, sub, 10, kTimeoutMs, &jerr), NATS_OK);
  ASSERT_EQ(list.Count, 10);
  EXPECT_EQ(std::string(natsMsg_GetData(list.Msgs[0]), natsMsg_GetDataLength(list.Msgs[0])), "m11");
  for (int i = 0; i < list.Count; ++i) natsMsg_Ack(list.Msgs[i], nullptr);
  natsMsgList_Destroy(&list);
  ASSERT_EQ(natsSubscription_Fetch(&list, sub, 1, kTimeoutMs, &jerr), NATS_OK);
  ASSERT_EQ(list.Count, 1);
  EXPECT_EQ(std::string(natsMsg_GetData(list.Msgs[0]), natsMsg_GetDataLength(list.Msgs[0])), "m4");
  jsMsgMetaData* meta = nullptr;
  ASSERT_EQ(natsMsg_GetMetaData(&meta, list.Msgs[0]), NATS_OK);
  EXPECT_EQ(meta->NumDelivered, 2u);
  EXPECT_EQ(meta->Sequence.Stream, 4u);
  jsMsgMetaData_Destroy(meta);
  EXPECT_EQ(natsMsg_AckSync(list.Msgs[0], nullptr, &jerr), NATS_OK);
  natsMsgList_Destroy(&list);

  jsConsumerInfo* ci = nullptr;
  ASSERT_EQ(js_GetConsumerInfo(&ci, c.js, "PULL", "worker", nullptr, &jerr), NATS_OK);
  EXPECT_EQ(ci->NumAckPending, 0);
  EXPECT_EQ(ci->NumPending, 0u);
  EXPECT_EQ(ci->AckFloor.Stream, 20u);
  jsConsumerInfo_Destroy(ci);
  natsSubscription_Destroy(sub);
}

TEST_F(JetStreamLibnats, PushConsumerDeliversInOrderAndSurvivesRestart) {
  start();
  {
    Nc c;
    connect(c);
    add_stream(c, "PUSH", {"push.>"});
    for (int i = 1; i <= 50; ++i) publish(c, "push.x", std::to_string(i));
    natsSubscription* sub = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Config.Durable = "dur";
    so.Config.AckPolicy = js_AckExplicit;
    ASSERT_EQ(js_SubscribeSync(&sub, c.js, "push.x", nullptr, &so, &jerr), NATS_OK) << jerr;
    for (int i = 1; i <= 30; ++i) {
      natsMsg* m = nullptr;
      ASSERT_EQ(natsSubscription_NextMsg(&m, sub, kTimeoutMs), NATS_OK) << i;
      EXPECT_EQ(std::string(natsMsg_GetData(m), natsMsg_GetDataLength(m)), std::to_string(i));
      EXPECT_STREQ(natsMsg_GetSubject(m), "push.x");
      ASSERT_EQ(natsMsg_AckSync(m, nullptr, &jerr), NATS_OK);
      natsMsg_Destroy(m);
    }
    // (No unsubscribe: libnats deletes a consumer it created when its
    // subscription unsubscribes.)
    natsSubscription_Destroy(sub);
  }
  // Restart: the durable consumer resumes after what was acknowledged.
  restart();
  Nc c;
  connect(c);
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = "PUSH";
  so.Consumer = "dur";
  ASSERT_EQ(js_SubscribeSync(&sub, c.js, "push.x", nullptr, &so, &jerr), NATS_OK) << jerr << " "
                                                                                  << nats_GetLastError(nullptr);
  natsMsg* m = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&m, sub, kTimeoutMs), NATS_OK);
  int first = std::stoi(std::string(natsMsg_GetData(m), natsMsg_GetDataLength(m)));
  EXPECT_GE(first, 29);  // at least once: the last acks may not have been saved
  EXPECT_LE(first, 31);
  natsMsg_Destroy(m);
  natsSubscription_Destroy(sub);
}

TEST_F(JetStreamLibnats, OrderedConsumerAndKeyValueWatchKeysHistory) {
  start();
  Nc c;
  connect(c);
  kvConfig kc;
  kvConfig_Init(&kc);
  kc.Bucket = "W";
  kc.History = 5;
  kvStore* kv = nullptr;
  ASSERT_EQ(js_CreateKeyValue(&kv, c.js, &kc), NATS_OK);
  uint64_t rev = 0;
  kvStore_PutString(&rev, kv, "a", "1");
  kvStore_PutString(&rev, kv, "b", "1");
  kvStore_PutString(&rev, kv, "a", "2");
  kvKeysList keys{};
  ASSERT_EQ(kvStore_Keys(&keys, kv, nullptr), NATS_OK) << nats_GetLastError(nullptr);
  EXPECT_EQ(keys.Count, 2);
  kvKeysList_Destroy(&keys);
  kvEntryList hist{};
  ASSERT_EQ(kvStore_History(&hist, kv, "a", nullptr), NATS_OK);
  EXPECT_EQ(hist.Count, 2);
  kvEntryList_Destroy(&hist);
  kvWatcher* w = nullptr;
  ASSERT_EQ(kvStore_Watch(&w, kv, "a", nullptr), NATS_OK);
  kvEntry* e = nullptr;
  ASSERT_EQ(kvWatcher_Next(&e, w, kTimeoutMs), NATS_OK);
  ASSERT_NE(e, nullptr);
  EXPECT_STREQ(kvEntry_ValueString(e), "2");  // the current value first
  kvEntry_Destroy(e);
  ASSERT_EQ(kvWatcher_Next(&e, w, kTimeoutMs), NATS_OK);  // then the end-of-initial-values marker
  EXPECT_EQ(e, nullptr);
  kvStore_PutString(&rev, kv, "a", "3");
  ASSERT_EQ(kvWatcher_Next(&e, w, kTimeoutMs), NATS_OK);
  ASSERT_NE(e, nullptr);
  EXPECT_STREQ(kvEntry_ValueString(e), "3");
  kvEntry_Destroy(e);
  kvWatcher_Destroy(w);
  kvStore_Destroy(kv);
}

TEST_F(JetStreamLibnats, WorkQueueRemovesWhatIsAcked) {
  start();
  Nc c;
  connect(c);
  add_stream(c, "WQ", {"wq.*"}, js_FileStorage, [](jsStreamConfig& cfg) { cfg.Retention = js_WorkQueuePolicy; });
  for (int i = 0; i < 10; ++i) publish(c, "wq.job", tagged("j", i));
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  ASSERT_EQ(js_PullSubscribe(&sub, c.js, "wq.job", "workers", nullptr, nullptr, &jerr), NATS_OK) << jerr;
  natsMsgList list{};
  ASSERT_EQ(natsSubscription_Fetch(&list, sub, 6, kTimeoutMs, &jerr), NATS_OK);
  ASSERT_EQ(list.Count, 6);
  for (int i = 0; i < list.Count; ++i) ASSERT_EQ(natsMsg_AckSync(list.Msgs[i], nullptr, &jerr), NATS_OK);
  natsMsgList_Destroy(&list);
  EXPECT_EQ(state(c, "WQ").Msgs, 4u);
  natsSubscription_Destroy(sub);
}

// max_memory_store bounds what memory streams hold: past it a publish gets
// nats' 10023 "insufficient resources", as stock does.
TEST_F(JetStreamLibnats, MaxMemoryStoreRefusesPastTheLimit) {
  TempConfig conf("jetstream { max_mem: 2000 }\n");
  std::string err;
  ASSERT_TRUE(srv_.start(ringnats_bin(), 2, {"-c", conf.path(), "-sd", dir_.path}, &err)) << err;
  Nc c;
  connect(c);
  add_stream(c, "M", {"m"}, js_MemoryStorage);
  int stored = 0, refused = 0;
  for (int i = 0; i < 40; ++i) {
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus st = NATS_OK;
    if (publish(c, "m", std::string(100, 'x'), nullptr, &jerr, &st)) ++stored;
    else if (jerr == JSInsufficientResourcesErr) ++refused;
  }
  EXPECT_GT(stored, 0);
  EXPECT_LE(stored, 20);  // 2000 bytes of 116-byte records, plus at most one turn's overshoot
  EXPECT_EQ(stored + refused, 40);
}

// Publishers run flat out with acks; the server is killed with SIGKILL in
// the middle. After a restart every acknowledged message is there, with
// its sequence and payload.
TEST_F(JetStreamLibnats, KillNineLosesNothingAcknowledged) {
  start();
  {
    Nc c;
    connect(c);
    add_stream(c, "CRASH", {"crash.*"});
  }
  constexpr int kPublishers = 3;
  std::vector<std::vector<std::pair<uint64_t, std::string>>> acked(kPublishers);
  std::atomic<bool> stop{false};
  std::atomic<int> total{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < kPublishers; ++p) {
    threads.emplace_back([&, p] {
      Nc c;
      connect(c);
      if (!c.js) return;
      for (int i = 0; !stop; ++i) {
        std::string data = tagged("p", p) + tagged("-", i);
        jsPubAck* pa = nullptr;
        jsErrCode jerr = static_cast<jsErrCode>(0);
        natsStatus s = js_Publish(&pa, c.js, (tagged("crash.", p)).c_str(), data.data(),
                                  static_cast<int>(data.size()), nullptr, &jerr);
        if (s != NATS_OK) break;  // the server is gone
        acked[static_cast<size_t>(p)].emplace_back(pa->Sequence, data);
        jsPubAck_Destroy(pa);
        ++total;
      }
    });
  }
  while (total < 3000) std::this_thread::yield();
  kill(srv_.pid(), SIGKILL);
  stop = true;
  for (auto& t : threads) t.join();
  restart();
  Nc c;
  connect(c);
  size_t checked = 0;
  for (const auto& list : acked)
    for (const auto& [seq, data] : list) {
      natsMsg* m = nullptr;
      jsErrCode jerr = static_cast<jsErrCode>(0);
      ASSERT_EQ(js_GetMsg(&m, c.js, "CRASH", seq, nullptr, &jerr), NATS_OK) << "acked seq " << seq << " lost";
      EXPECT_EQ(std::string(natsMsg_GetData(m), natsMsg_GetDataLength(m)), data);
      natsMsg_Destroy(m);
      ++checked;
    }
  EXPECT_GE(checked, 3000u);
  // The stream goes on after the last sequence it recovered.
  uint64_t last = state(c, "CRASH").LastSeq;
  EXPECT_EQ(publish(c, "crash.0", "after"), last + 1);
}

}  // namespace
}  // namespace itest

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  int rc = RUN_ALL_TESTS();
  nats_Close();
  return rc;
}
