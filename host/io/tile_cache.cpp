#include "host/io/tile_cache.hpp"

#include <climits>
#include <utility>

namespace sw {

tile_cache::tile_cache(long long capacity_bytes) : capacity_(capacity_bytes) {}

tile_cache::block_ptr tile_cache::get(const std::string& file, int bx, int by,
                                      const std::function<block()>& decode) {
  key k{file, bx, by};
  std::promise<block_ptr> promise;
  {
    std::unique_lock<std::mutex> lock(m_);
    if (auto it = entries_.find(k); it != entries_.end()) {
      entry& e = it->second;
      if (e.ready) lru_.splice(lru_.begin(), lru_, e.lru);
      ++counts_.shared;
      auto value = e.value;
      lock.unlock();
      return value.get();  // waits while another thread decodes it; rethrows its failure
    }
    entries_.emplace(k, entry{promise.get_future().share(), {}, false, 0});
    ++counts_.decoded;
  }

  block_ptr value;
  try {
    value = std::make_shared<const block>(decode());
  } catch (...) {
    promise.set_exception(std::current_exception());
    std::lock_guard<std::mutex> lock(m_);
    entries_.erase(k);
    --counts_.decoded;
    throw;
  }
  promise.set_value(value);
  std::lock_guard<std::mutex> lock(m_);
  entry& e = entries_.at(k);
  e.ready = true;
  e.size = static_cast<long long>(value->size());
  e.lru = lru_.insert(lru_.begin(), k);
  counts_.bytes += e.size;
  evict_locked();
  return value;
}

void tile_cache::evict_locked() {
  // the block just added is at the front and is never dropped by its own insertion
  while (counts_.bytes > capacity_ && lru_.size() > 1) {
    auto it = entries_.find(lru_.back());
    counts_.bytes -= it->second.size;
    lru_.pop_back();
    entries_.erase(it);
  }
}

void tile_cache::expect_reads(const std::string& file, int reads) {
  std::lock_guard<std::mutex> lock(m_);
  reads_left_[file] += reads;
}

void tile_cache::read_done(const std::string& file) {
  std::lock_guard<std::mutex> lock(m_);
  auto it = reads_left_.find(file);
  if (it == reads_left_.end() || --it->second > 0) return;
  reads_left_.erase(it);
  drop_file_locked(file);
}

void tile_cache::drop_file_locked(const std::string& file) {
  // keys sort by file first: the file's blocks are one range; blocks still being decoded
  // stay (their decoder inserts them into the LRU order when done)
  for (auto it = entries_.lower_bound(key{file, INT_MIN, INT_MIN});
       it != entries_.end() && std::get<0>(it->first) == file;) {
    if (!it->second.ready) {
      ++it;
      continue;
    }
    counts_.bytes -= it->second.size;
    lru_.erase(it->second.lru);
    it = entries_.erase(it);
  }
}

tile_cache::counts tile_cache::stats() const {
  std::lock_guard<std::mutex> lock(m_);
  return counts_;
}

}  // namespace sw
