// Lame-duck mode (SIGUSR2 / --signal ldm), as nats-server: stop accepting
// clients, tell the connected ones and every route with an INFO carrying
// "ldm":true (peers then stop offering our client URLs), wait the grace
// period, close the clients spread evenly over the rest of
// lame_duck_duration, then let the server stop. It runs on its own thread
// so the control thread keeps taking signals meanwhile (SIGINT ends it at
// once, SIGHUP still reloads).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace ringnats {
class Server;
}

namespace ringnats::ops {

class LameDuck {
 public:
  explicit LameDuck(Server& srv) : srv_(srv) {}
  ~LameDuck();
  LameDuck(const LameDuck&) = delete;
  LameDuck& operator=(const LameDuck&) = delete;

  // Starts it (once); `done` runs on its thread when every client is closed.
  void start(std::function<void()> done);
  bool started() const { return started_; }
  bool finished() const { return finished_.load(); }
  // Closes every client now and finishes (SIGINT during lame duck).
  void abort();
  void join();

 private:
  void run(std::function<void()> done);
  // Sleeps up to `ns`; false when aborted meanwhile.
  bool pause(int64_t ns);

  Server& srv_;
  std::thread thread_;
  bool started_ = false;
  std::atomic<bool> finished_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool aborted_ = false;
};

}  // namespace ringnats::ops
