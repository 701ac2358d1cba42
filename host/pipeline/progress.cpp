#include "host/pipeline/progress.hpp"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sw {

progress_reporter::progress_reporter(long long total_pairs, bool quiet)
    : total_(total_pairs),
      quiet_(quiet),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()) {
  if (!quiet_) thread_ = std::thread([this] { loop(); });
}

progress_reporter::~progress_reporter() {
  stop();
}

void progress_reporter::stop() {
  {
    std::lock_guard<std::mutex> lock(m_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    print(true);
  }
}

void progress_reporter::loop() {
  const auto period = tty_ ? std::chrono::milliseconds(500) : std::chrono::seconds(30);
  std::unique_lock<std::mutex> lock(m_);
  while (!cv_.wait_for(lock, period, [this] { return stopping_; })) print(false);
}

void progress_reporter::print(bool final_line) {
  const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const long long done = done_.load(std::memory_order_relaxed);
  const double mpx = t > 0 ? pixels_.load(std::memory_order_relaxed) / t / 1e6 : 0.0;
  const double eta = done > 0 ? t * static_cast<double>(total_ - done) / done : 0.0;
  const double frac = total_ > 0 ? static_cast<double>(done) / total_ : 1.0;
  if (tty_) {
    const int width = 30;
    const int filled = static_cast<int>(frac * width);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r[%s] %lld/%lld pairs  %.1f Mpx/s  ETA %.0f s   %s", bar.c_str(), done,
                 total_, mpx, eta, final_line ? "\n" : "");
    std::fflush(stderr);
  } else if (!final_line) {
    spdlog::info("progress: {}/{} pairs ({:.0f}%), {:.1f} Mpx/s, ETA {:.0f} s", done, total_,
                 100.0 * frac, mpx, eta);
  }
}

}  // namespace sw
