#include "host/io/tile_cache.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <utility>

namespace sw {

tile_cache::tile_cache(long long capacity_bytes) : capacity_(capacity_bytes) {}

tile_cache::block_ptr tile_cache::get(const std::string& file, int bx, int by, int rows,
                                      const std::function<block(int rows)>& decode) {
  key k{file, bx, by};
  std::promise<block_ptr> promise;
  std::uint64_t id = 0;
  {
    std::unique_lock<std::mutex> lock(m_);
    auto it = entries_.find(k);
    if (it != entries_.end() && it->second.rows >= rows) {
      entry& e = it->second;
      if (e.ready) lru_.splice(lru_.begin(), lru_, e.lru);
      ++counts_.shared;
      auto value = e.value;
      lock.unlock();
      return value.get();  // waits while another thread decodes it; rethrows its failure
    }
    // absent, or decoded (being decoded) with too few rows: decode it here with ours
    if (it != entries_.end()) erase_locked(it);
    id = ++next_id_;
    entries_.emplace(k, entry{promise.get_future().share(), rows, id, {}, false, 0});
    ++counts_.decoded;
  }

  block_ptr value;
  try {
    value = std::make_shared<const block>(decode(rows));
  } catch (...) {
    promise.set_exception(std::current_exception());
    std::lock_guard<std::mutex> lock(m_);
    if (auto it = entries_.find(k); it != entries_.end() && it->second.id == id) entries_.erase(it);
    --counts_.decoded;
    throw;
  }
  promise.set_value(value);
  std::lock_guard<std::mutex> lock(m_);
  auto it = entries_.find(k);
  if (it == entries_.end() || it->second.id != id) return value;  // replaced meanwhile
  entry& e = it->second;
  e.ready = true;
  e.size = static_cast<long long>(value->size());
  e.lru = lru_.insert(lru_.begin(), k);
  counts_.bytes += e.size;
  evict_locked();
  return value;
}

void tile_cache::erase_locked(std::map<key, entry>::iterator it) {
  if (it->second.ready) {
    counts_.bytes -= it->second.size;
    lru_.erase(it->second.lru);
  }
  entries_.erase(it);
}

void tile_cache::evict_locked() {
  // the block just added is at the front and is never dropped by its own insertion
  while (counts_.bytes > capacity_ && lru_.size() > 1) erase_locked(entries_.find(lru_.back()));
}

void tile_cache::expect_read(const std::string& file, const std::optional<window>& where) {
  std::lock_guard<std::mutex> lock(m_);
  file_reads& f = reads_[file];
  ++f.left;
  if (where)
    f.windows.push_back(*where);
  else
    f.unknown_window = true;
}

void tile_cache::read_done(const std::string& file) {
  std::lock_guard<std::mutex> lock(m_);
  auto it = reads_.find(file);
  if (it == reads_.end() || --it->second.left > 0) return;
  reads_.erase(it);
  drop_file_locked(file);
}

int tile_cache::rows_to_decode(const std::string& file, int bx, int by, int bw, int bh,
                               int rows) const {
  std::lock_guard<std::mutex> lock(m_);
  const auto it = reads_.find(file);
  if (it == reads_.end()) return rows;
  if (it->second.unknown_window) return bh;
  const double bx0 = static_cast<double>(bx) * bw, by0 = static_cast<double>(by) * bh;
  for (const window& w : it->second.windows)
    if (w.x0 < bx0 + bw && w.x1 > bx0 && w.y0 < by0 + bh && w.y1 > by0)
      rows = std::max(rows, static_cast<int>(std::min<double>(bh, std::ceil(w.y1 - by0))));
  return rows;
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
    erase_locked(it++);
  }
}

tile_cache::counts tile_cache::stats() const {
  std::lock_guard<std::mutex> lock(m_);
  return counts_;
}

}  // namespace sw
