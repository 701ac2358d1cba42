// The one writer of a run: a thread that owns the GeoPackage and commits (site, scene)
// pairs as compute hands them over through a bounded oneTBB queue, so that SQLite's commits
// (an fsync each) overlap compute instead of stalling it. Every pair waiting in the queue
// when the writer comes round goes into one commit (at most max_batch): a pair is still
// all or nothing, and a slow disk costs one fsync per batch, not per pair. The bound keeps
// finished rows from piling up in memory when the disk is slower than compute.
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <oneapi/tbb/concurrent_queue.h>

#include "host/output/gpkg_writer.hpp"
#include "host/output/rows.hpp"

namespace sw {

class async_writer {
 public:
  // on_written(pair) runs on the writer thread after each commit (progress, counters).
  async_writer(gpkg_writer& out, std::string run_id, int capacity,
               std::function<void(const pair_rows&)> on_written);
  ~async_writer();
  async_writer(const async_writer&) = delete;
  async_writer& operator=(const async_writer&) = delete;

  // Queues a pair for commit; blocks while the queue is full. Throws the writer's error if
  // it has failed (a full disk must stop the run, not be lost in a thread).
  void submit(pair_rows rows);

  // Waits until everything queued is committed and stops the thread; rethrows the
  // writer's error, if any. Called once; the destructor calls it if needed (and then
  // swallows the error).
  void finish();

  // Seconds the writer thread spent committing, and its commits (valid after finish()).
  double busy_seconds() const { return busy_seconds_; }
  long long commits() const { return commits_; }

  static constexpr std::size_t max_batch = 256;
  static constexpr std::chrono::milliseconds linger{50};

 private:
  void loop();
  void rethrow_if_failed();

  gpkg_writer& out_;
  std::string run_id_;
  std::function<void(const pair_rows&)> on_written_;
  tbb::concurrent_bounded_queue<std::optional<pair_rows>> queue_;  // nullopt: stop
  std::mutex error_mutex_;
  std::exception_ptr error_;
  std::thread thread_;
  bool finished_ = false;
  double busy_seconds_ = 0;  // writer thread only until finish()
  long long commits_ = 0;    // writer thread only until finish()
};

}  // namespace sw
