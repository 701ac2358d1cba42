// Progress of a run: a one-line bar on a terminal (pairs done / total, Mpx/s, ETA), plain
// log lines every 30 s otherwise, nothing with --quiet.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace sw {

class progress_reporter {
 public:
  progress_reporter(long long total_pairs, bool quiet);
  ~progress_reporter();
  progress_reporter(const progress_reporter&) = delete;
  progress_reporter& operator=(const progress_reporter&) = delete;

  void add(long long pairs, long long pixels) {
    done_.fetch_add(pairs, std::memory_order_relaxed);
    pixels_.fetch_add(pixels, std::memory_order_relaxed);
  }
  void stop();

 private:
  void loop();
  void print(bool final_line);

  long long total_;
  bool quiet_;
  bool tty_;
  std::atomic<long long> done_{0};
  std::atomic<long long> pixels_{0};
  std::chrono::steady_clock::time_point start_;
  std::mutex m_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sw
