// Decoded source blocks shared by every read of a run. Sites near each other (a rail yard
// and the port beside it, a zone and its control area) read overlapping windows of the
// same scene: through this cache a block is decoded once however many sites touch it.
// On the 24-date full-size synthetic archive the four sites' windows touch 215 blocks of
// reflectance, 111 of them distinct (docs/BENCHMARKS.md).
//
// Why not GDAL's block cache: it belongs to one open dataset, and a GDAL dataset may not be
// read from two threads at once; reads of one scene for different sites run on different
// threads, each with its own handle. Here only decoded bytes are shared, under a lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace sw {

// An allocator that leaves new elements uninitialised: a block is written whole by its
// decoder, and zeroing a megabyte first only to overwrite it was ~2% of a run's CPU.
template <class T>
struct uninitialised_allocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = uninitialised_allocator<U>;
  };
  uninitialised_allocator() = default;
  template <class U>
  uninitialised_allocator(const uninitialised_allocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

class tile_cache {
 public:
  using block = std::vector<std::byte, uninitialised_allocator<std::byte>>;
  using block_ptr = std::shared_ptr<const block>;

  // capacity: bytes of decoded blocks kept (least recently used dropped first); a block in
  // use by a reader stays alive until the reader lets go of it.
  explicit tile_cache(long long capacity_bytes);
  tile_cache(const tile_cache&) = delete;
  tile_cache& operator=(const tile_cache&) = delete;

  // Block (bx, by) of `file` with at least its first `rows` rows decoded: from the cache,
  // else from decode(rows). A block decoded with fewer rows than asked for is decoded
  // again with the rows asked for, and replaces it (a decoder may stop at the last row a
  // read needs: LZW and DEFLATE cannot skip rows, but they can stop). One decode at a
  // time per block and row count: a thread asking for a block another is decoding with
  // enough rows waits for it. When decode throws, the exception reaches every waiter and
  // nothing is cached (a later read tries again).
  block_ptr get(const std::string& file, int bx, int by, int rows,
                const std::function<block(int rows)>& decode);

  // Where a read will look, in the file's pixels (x0, y0, x1, y1), when known.
  struct window {
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  };

  // The run announces each read of `file` it will make (one per site that sees the
  // scene) with the window the read needs, or nullopt when it cannot tell (another CRS);
  // each read says when it is done. After the last, the file's blocks are dropped rather
  // than left for the LRU order: memory then follows the scenes in flight, not the run.
  // A file never announced keeps its blocks until they are the least recently used.
  void expect_read(const std::string& file, const std::optional<window>& where);
  void read_done(const std::string& file);

  // How many rows of block (bx, by) (bw x bh) to decode for a read that needs `rows`: the
  // most any announced read of the file needs from it, so that a block shared by sites
  // is decoded once; all bh when a read of the file was announced without a window, and
  // `rows` when the file was never announced.
  int rows_to_decode(const std::string& file, int bx, int by, int bw, int bh, int rows) const;

  struct counts {
    long long decoded = 0;  // blocks decoded
    long long shared = 0;   // blocks served without decoding
    long long bytes = 0;    // bytes held now
  };
  counts stats() const;

 private:
  using key = std::tuple<std::string, int, int>;
  struct entry {
    std::shared_future<block_ptr> value;
    int rows = 0;                  // rows decoded, or being decoded
    std::uint64_t id = 0;          // which decode made it (an entry may be replaced)
    std::list<key>::iterator lru;  // valid when ready
    bool ready = false;
    long long size = 0;
  };
  void erase_locked(std::map<key, entry>::iterator it);
  void evict_locked();
  void drop_file_locked(const std::string& file);

  long long capacity_;
  mutable std::mutex m_;
  std::map<key, entry> entries_;
  std::list<key> lru_;  // most recently used first; ready entries only
  struct file_reads {
    int left = 0;
    bool unknown_window = false;
    std::vector<window> windows;
  };
  std::map<std::string, file_reads> reads_;
  counts counts_;
  std::uint64_t next_id_ = 0;
};

}  // namespace sw
