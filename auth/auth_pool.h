// A small fixed pool of threads for the slow part of authentication (bcrypt),
// so no shard thread ever waits for it. Any thread submits; a job's `done`
// runs on a worker, which hands the result back to the connection's shard
// (Shard::post). The queue is bounded: submit() says no when it is full.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ringnats::auth {

class AuthPool {
 public:
  struct Job {
    std::string hash;      // bcrypt hash to check against
    std::string password;  // what the client sent
    std::function<void(bool ok)> done;  // runs on a worker thread
    // Set (any thread) when nobody wants the answer any more, e.g. the
    // client closed: a queued job is then dropped without hashing.
    std::shared_ptr<std::atomic<bool>> cancel;
  };

  AuthPool(int threads, size_t max_queue);
  ~AuthPool();  // stop()
  AuthPool(const AuthPool&) = delete;
  AuthPool& operator=(const AuthPool&) = delete;

  // False (job dropped) when the queue holds max_queue jobs or the pool
  // has stopped: the caller answers as for a failed check.
  bool submit(Job job);
  // Finishes the job each worker is running, drops the queued ones (their
  // `done` never runs) and joins. Idempotent.
  void stop();
  size_t queued() const;

 private:
  void run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> q_;
  size_t max_queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ringnats::auth
