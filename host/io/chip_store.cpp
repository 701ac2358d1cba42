#include "host/io/chip_store.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <zstd.h>

#include "host/common/error.hpp"
#include "kernels/valid_mask.cuh"

namespace sw {
namespace fs = std::filesystem;

namespace {

constexpr int k_udm2_planes = kern::udm2_planes;
constexpr char k_magic[8] = {'S', 'W', 'C', 'H', 'I', 'P', '1', '\0'};
// zstd's fastest levels: the store is scratch, written once and read back once or twice;
// level 1 still packs the shuffled planes of the synthetic archive 4:1.
constexpr int k_zstd_level = 1;

struct chip_header {
  char magic[8];
  std::int32_t width, height, bands, mask_planes;
  std::uint64_t raw_bytes, packed_bytes;
};

// Byte shuffle (as Blosc and HDF5's shuffle filter do): the k-th bytes of all floats
// together, so that the slowly varying exponent and high mantissa bytes of neighbouring
// pixels sit next to each other and compress; the order is undone on reading.
void shuffle(const float* in, std::size_t n, std::uint8_t* out) {
  const auto* b = reinterpret_cast<const std::uint8_t*>(in);
  for (std::size_t i = 0; i < n; ++i)
    for (int k = 0; k < 4; ++k) out[k * n + i] = b[4 * i + k];
}
void unshuffle(const std::uint8_t* in, std::size_t n, float* out) {
  auto* b = reinterpret_cast<std::uint8_t*>(out);
  for (std::size_t i = 0; i < n; ++i)
    for (int k = 0; k < 4; ++k) b[4 * i + k] = in[k * n + i];
}

struct file_closer {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

std::string errno_text() {
  return std::error_code(errno, std::generic_category()).message();
}

}  // namespace

chip_store::chip_store(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::remove_all(dir_, ec);  // a killed run's chips: their scenes are read again
  fs::create_directories(dir_, ec);
  if (ec) throw error(fmt::format("{}: cannot create the chip store: {}", dir_, ec.message()));
}

chip_store::~chip_store() {
  std::error_code ec;
  fs::remove_all(dir_, ec);  // best effort: a destructor does not throw
}

std::string chip_store::path(std::size_t key) const {
  return fmt::format("{}/{}.chip", dir_, key);
}

void chip_store::put(std::size_t key, const warped_scene& w) {
  const std::size_t n = static_cast<std::size_t>(w.width) * w.height;
  const int mask_planes = 1 + (w.udm2.empty() ? 0 : k_udm2_planes);
  SW_EXPECTS(w.data.size() == n * w.bands && w.alpha.size() == n &&
                 (w.udm2.empty() || w.udm2.size() == n * k_udm2_planes),
             "chip_store::put: a scene whose buffers do not match its size");
  // one buffer: the bands shuffled, then alpha and the UDM2 planes
  const std::size_t float_bytes = n * w.bands * sizeof(float);
  std::vector<std::uint8_t> raw(float_bytes + n * mask_planes);
  shuffle(w.data.data(), n * w.bands, raw.data());
  std::copy(w.alpha.begin(), w.alpha.end(), raw.begin() + static_cast<std::ptrdiff_t>(float_bytes));
  std::copy(w.udm2.begin(), w.udm2.end(),
            raw.begin() + static_cast<std::ptrdiff_t>(float_bytes + n));
  std::vector<std::uint8_t> packed(ZSTD_compressBound(raw.size()));
  const std::size_t got =
      ZSTD_compress(packed.data(), packed.size(), raw.data(), raw.size(), k_zstd_level);
  if (ZSTD_isError(got))
    throw error(fmt::format("chip {}: zstd: {}", path(key), ZSTD_getErrorName(got)));

  chip_header h{};
  std::memcpy(h.magic, k_magic, sizeof k_magic);
  h.width = w.width;
  h.height = w.height;
  h.bands = w.bands;
  h.mask_planes = mask_planes;
  h.raw_bytes = raw.size();
  h.packed_bytes = got;
  // written aside, then renamed: a chip is whole or absent
  const std::string final_path = path(key);
  const std::string part = final_path + ".part";
  {
    file_ptr f(std::fopen(part.c_str(), "wb"));
    if (!f) throw error(fmt::format("{}: cannot create: {}", part, errno_text()));
    if (std::fwrite(&h, sizeof h, 1, f.get()) != 1 ||
        std::fwrite(packed.data(), 1, got, f.get()) != got || std::fflush(f.get()) != 0)
      throw error(fmt::format("{}: cannot write: {}", part, errno_text()));
  }
  std::error_code ec;
  fs::rename(part, final_path, ec);
  if (ec) throw error(fmt::format("{}: cannot rename to {}: {}", part, final_path, ec.message()));
  raw_bytes_ += static_cast<long long>(raw.size());
  disk_bytes_ += static_cast<long long>(sizeof h + got);
}

warped_scene chip_store::get(std::size_t key, std::pmr::memory_resource* mr) const {
  const std::string p = path(key);
  file_ptr f(std::fopen(p.c_str(), "rb"));
  if (!f) throw error(fmt::format("{}: cannot open the chip: {}", p, errno_text()));
  chip_header h{};
  if (std::fread(&h, sizeof h, 1, f.get()) != 1 || std::memcmp(h.magic, k_magic, sizeof k_magic))
    throw error(fmt::format("{}: not a chip", p));
  const std::size_t n = static_cast<std::size_t>(h.width) * static_cast<std::size_t>(h.height);
  const std::size_t float_bytes = n * h.bands * sizeof(float);
  if (h.width <= 0 || h.height <= 0 || h.bands <= 0 ||
      (h.mask_planes != 1 && h.mask_planes != 1 + k_udm2_planes) ||
      h.raw_bytes != float_bytes + n * h.mask_planes)
    throw error(fmt::format("{}: a chip header that does not add up", p));
  std::vector<std::uint8_t> packed(h.packed_bytes);
  if (std::fread(packed.data(), 1, packed.size(), f.get()) != packed.size())
    throw error(fmt::format("{}: truncated chip", p));
  std::vector<std::uint8_t> raw(h.raw_bytes);
  const std::size_t got = ZSTD_decompress(raw.data(), raw.size(), packed.data(), packed.size());
  if (ZSTD_isError(got) || got != raw.size())
    throw error(fmt::format("{}: corrupt chip ({})", p,
                            ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short"));

  warped_scene w{h.width,
                 h.height,
                 h.bands,
                 std::pmr::vector<float>(mr),
                 std::pmr::vector<std::uint8_t>(mr),
                 std::pmr::vector<std::uint8_t>(mr)};
  w.data.resize(n * h.bands);
  unshuffle(raw.data(), n * h.bands, w.data.data());
  const auto masks = raw.begin() + static_cast<std::ptrdiff_t>(float_bytes);
  w.alpha.assign(masks, masks + static_cast<std::ptrdiff_t>(n));
  if (h.mask_planes > 1) w.udm2.assign(masks + static_cast<std::ptrdiff_t>(n), raw.end());
  return w;
}

}  // namespace sw
