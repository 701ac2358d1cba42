// A site's scenes, read and warped onto its grid, kept on disk between the two passes of
// reference.strategy = "archive" (docs/ALGORITHMS.md), so that the second pass does not
// decode and warp the scenes again. One file per scene: a small header, then the bands
// (float32, byte-shuffled) and the masks (alpha, UDM2 planes) compressed together with
// zstd, lossless. Not a GeoTIFF: GDAL's GTiff driver spent ~7 ms creating, flushing and
// opening each chip (uncompressed; 15 ms with ZSTD), more than decoding the scene's window
// again; a chip is scratch that the same process reads back, so a plain buffer suffices.
// Memory: one scene at a time per call; the store itself is on disk.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory_resource>
#include <string>

#include "host/io/scene_reader.hpp"

namespace sw {

class chip_store {
 public:
  // Creates `dir` (and its parents); a store left there by a killed run is emptied first.
  explicit chip_store(std::string dir);
  // Removes the chips and the folder.
  ~chip_store();
  chip_store(const chip_store&) = delete;
  chip_store& operator=(const chip_store&) = delete;

  // Writes scene `key`'s chip (whole or not at all: written aside, then renamed).
  // Thread-safe for distinct keys. Throws sw::error naming the file.
  void put(std::size_t key, const warped_scene& w);
  // Reads chip `key` back, bit for bit, into buffers of `mr`. Throws when it is missing.
  warped_scene get(std::size_t key, std::pmr::memory_resource* mr) const;

  // Bytes written to disk, and what the chips hold uncompressed.
  long long disk_bytes() const { return disk_bytes_; }
  long long raw_bytes() const { return raw_bytes_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string path(std::size_t key) const;
  std::string dir_;
  std::atomic<long long> raw_bytes_{0};
  std::atomic<long long> disk_bytes_{0};
};

}  // namespace sw
