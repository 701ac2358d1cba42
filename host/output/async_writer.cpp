#include "host/output/async_writer.hpp"

#include <chrono>
#include <vector>

namespace sw {

async_writer::async_writer(gpkg_writer& out, std::string run_id, int capacity,
                           std::function<void(const pair_rows&)> on_written)
    : out_(out), run_id_(std::move(run_id)), on_written_(std::move(on_written)) {
  queue_.set_capacity(capacity);
  thread_ = std::thread([this] { loop(); });
}

async_writer::~async_writer() {
  try {
    finish();
  } catch (...) {
    // already reported by whoever called finish(); a destructor must not throw
  }
}

void async_writer::loop() {
  std::vector<pair_rows> batch;
  bool stop = false;
  while (!stop) {
    // block for one pair, then gather what arrives within `linger` of it (at most
    // max_batch): one commit for them all. Commits are fsyncs; taken one pair at a time
    // they cost the writer thread more CPU than it takes from the compute threads.
    std::optional<pair_rows> item;
    queue_.pop(item);
    batch.clear();
    const auto deadline = std::chrono::steady_clock::now() + linger;
    while (item) {
      batch.push_back(std::move(*item));
      item.reset();
      if (batch.size() == max_batch) break;
      bool got = queue_.try_pop(item);
      while (!got && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        got = queue_.try_pop(item);
      }
      if (!got) break;
      if (!item) stop = true;  // the stop marker: commit what was gathered, then end
    }
    if (batch.empty()) {  // the marker came first
      stop = true;
      continue;
    }
    bool failed;
    {
      std::lock_guard<std::mutex> lock(error_mutex_);
      failed = error_ != nullptr;
    }
    if (failed) continue;  // drain: nothing more is written after an error
    try {
      const auto t0 = std::chrono::steady_clock::now();
      out_.write_pairs(batch, run_id_);
      busy_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      ++commits_;
      if (on_written_)
        for (const auto& p : batch) on_written_(p);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex_);
      error_ = std::current_exception();
    }
  }
}

void async_writer::rethrow_if_failed() {
  std::lock_guard<std::mutex> lock(error_mutex_);
  if (error_) std::rethrow_exception(error_);
}

void async_writer::submit(pair_rows rows) {
  rethrow_if_failed();
  queue_.push(std::optional<pair_rows>(std::move(rows)));
}

void async_writer::finish() {
  if (finished_) return;
  finished_ = true;
  queue_.push(std::nullopt);
  thread_.join();
  rethrow_if_failed();
}

}  // namespace sw
