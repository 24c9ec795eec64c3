// The auth worker pool (see auth_pool.h).
#include "auth/auth_pool.h"

#include <pthread.h>

#include "auth/password.h"

namespace ringnats::auth {

AuthPool::AuthPool(int threads, size_t max_queue) : max_queue_(max_queue) {
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { run(); });
    pthread_setname_np(threads_.back().native_handle(), "ringnats-auth");
  }
}

AuthPool::~AuthPool() { stop(); }

bool AuthPool::submit(Job job) {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (stopping_ || q_.size() >= max_queue_) return false;
    q_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

void AuthPool::stop() {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    q_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  std::lock_guard<std::mutex> g(mu_);
  threads_.clear();
}

size_t AuthPool::queued() const {
  std::lock_guard<std::mutex> g(mu_);
  return q_.size();
}

void AuthPool::run() {
  BcryptScratch scratch;
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> g(mu_);
      cv_.wait(g, [&] { return stopping_ || !q_.empty(); });
      if (stopping_) return;
      job = std::move(q_.front());
      q_.pop_front();
    }
    if (job.cancel && job.cancel->load(std::memory_order_relaxed)) continue;
    bool ok = check_bcrypt(job.hash, job.password, scratch.data);
    job.done(ok);
  }
}

}  // namespace ringnats::auth
