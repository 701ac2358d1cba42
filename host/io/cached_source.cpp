#include "host/io/cached_source.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <tiffio.h>

#include "host/common/error.hpp"
#include "host/io/gdal_util.hpp"
#include "host/io/tile_cache.hpp"

namespace sw {
namespace {

// Blocks of a plain GeoTIFF decoded by libtiff, GDAL's own TIFF library, called directly:
// GDAL decodes a whole block for any read, while LZW and DEFLATE can stop at the last row
// a read needs (on the 24-date full-size archive, the rows the site windows need are 70%
// of the rows of the blocks they touch). Only files whose blocks hold exactly the samples
// GDAL would return qualify; the others are decoded by GDAL.
class tiff_blocks {
 public:
  static std::unique_ptr<tiff_blocks> open(const std::string& path, GDALDataset* file, int bw,
                                           int bh, int sample_bytes) {
    if (path.rfind("/vsi", 0) == 0) return nullptr;  // libtiff reads plain files only
    if (sample_bytes != 1 && sample_bytes != 2 && sample_bytes != 4) return nullptr;
    GDALDriver* drv = file->GetDriver();
    if (drv == nullptr || std::string(drv->GetDescription()) != "GTiff") return nullptr;
    // "m": no memory mapping (read(2), as GDAL does); errors and warnings go to the
    // handlers GDAL gave libtiff (into CPLError, which sitewatch keeps quiet)
    TIFF* tif = TIFFOpen(path.c_str(), "rm");
    if (tif == nullptr) return nullptr;
    std::unique_ptr<tiff_blocks> t(new tiff_blocks(tif));
    std::uint16_t planar = 0, spp = 0, bits = 0, compression = 0, photometric = 0;
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PHOTOMETRIC, &photometric);
    std::uint32_t width = 0, block_w = 0, block_h = 0;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width);
    t->tiled_ = TIFFIsTiled(tif) != 0;
    if (t->tiled_) {
      TIFFGetField(tif, TIFFTAG_TILEWIDTH, &block_w);
      TIFFGetField(tif, TIFFTAG_TILELENGTH, &block_h);
    } else {
      block_w = width;
      TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &block_h);
    }
    const bool lossless = compression == COMPRESSION_NONE || compression == COMPRESSION_LZW ||
                          compression == COMPRESSION_ADOBE_DEFLATE ||
                          compression == COMPRESSION_DEFLATE || compression == COMPRESSION_ZSTD ||
                          compression == COMPRESSION_LZMA || compression == COMPRESSION_PACKBITS;
    // the block grid GDAL reports must be the file's own (GDAL presents a single-strip
    // file as strips of a few rows, for instance)
    if (planar != PLANARCONFIG_CONTIG || spp != file->GetRasterCount() ||
        bits != 8 * sample_bytes || !lossless || photometric == PHOTOMETRIC_YCBCR ||
        block_w != static_cast<std::uint32_t>(bw) || block_h != static_cast<std::uint32_t>(bh))
      return nullptr;
    t->bands_ = spp;
    t->bw_ = bw;
    t->bh_ = bh;
    t->sz_ = sample_bytes;
    return t;
  }
  ~tiff_blocks() { TIFFClose(tif_); }
  tiff_blocks(const tiff_blocks&) = delete;
  tiff_blocks& operator=(const tiff_blocks&) = delete;

  // Rows [0, rows) of block (bx, by) into `out`: band planes of bw x bh samples, the rest
  // of each plane zero. False for a block with no data in the file (sparse files: GDAL
  // fills those with nodata, so GDAL decodes them).
  bool decode(int bx, int by, int rows, std::byte* out) {
    const std::uint32_t index =
        tiled_ ? TIFFComputeTile(tif_, static_cast<std::uint32_t>(bx * bw_),
                                 static_cast<std::uint32_t>(by * bh_), 0, 0)
               : TIFFComputeStrip(tif_, static_cast<std::uint32_t>(by * bh_), 0);
    if (TIFFGetStrileByteCount(tif_, index) == 0) return false;
    const tmsize_t row_bytes = static_cast<tmsize_t>(bw_) * bands_ * sz_;
    interleaved_.resize(static_cast<std::size_t>(row_bytes) * static_cast<std::size_t>(rows));
    const tmsize_t want = row_bytes * rows;
    const tmsize_t got = tiled_ ? TIFFReadEncodedTile(tif_, index, interleaved_.data(), want)
                                : TIFFReadEncodedStrip(tif_, index, interleaved_.data(), want);
    // a short last strip gives fewer rows; a read never asks past the raster
    if (got < 0 || got % row_bytes != 0)
      throw error(fmt::format("libtiff could not decode block ({}, {}): {}", bx, by,
                              gdal_last_error("read error")));
    const int rows_got = static_cast<int>(got / row_bytes);
    const std::size_t plane = static_cast<std::size_t>(bw_) * bh_ * sz_;
    for (int b = 0; b < bands_; ++b) {
      std::byte* dst = out + plane * b;
      deinterleave(interleaved_.data(), b, static_cast<std::size_t>(bw_) * rows_got, dst);
      std::fill(dst + static_cast<std::size_t>(bw_) * rows_got * sz_, dst + plane, std::byte{0});
    }
    return true;
  }

 private:
  explicit tiff_blocks(TIFF* tif) : tif_(tif) {}

  void deinterleave(const std::byte* in, int band, std::size_t n, std::byte* out) const {
    switch (sz_) {
      case 1:
        copy_band(reinterpret_cast<const std::uint8_t*>(in), band, n,
                  reinterpret_cast<std::uint8_t*>(out));
        break;
      case 2:
        copy_band(reinterpret_cast<const std::uint16_t*>(in), band, n,
                  reinterpret_cast<std::uint16_t*>(out));
        break;
      default:
        copy_band(reinterpret_cast<const std::uint32_t*>(in), band, n,
                  reinterpret_cast<std::uint32_t*>(out));
        break;
    }
  }
  template <class T>
  void copy_band(const T* in, int band, std::size_t n, T* out) const {
    for (std::size_t i = 0; i < n; ++i) out[i] = in[i * static_cast<std::size_t>(bands_) + band];
  }

  TIFF* tif_;
  bool tiled_ = false;
  int bands_ = 0, bw_ = 0, bh_ = 0, sz_ = 0;
  std::vector<std::byte> interleaved_;
};

class cached_source : public GDALDataset {
 public:
  static bool can_serve(GDALDataset* file) {
    double gt[6];
    const int n = file->GetRasterCount();
    if (n < 1 || file->GetGeoTransform(gt) != CE_None || file->GetGCPCount() > 0 ||
        file->GetMetadata("RPC") != nullptr || file->GetMetadata("GEOLOCATION") != nullptr)
      return false;
    GDALRasterBand* first = file->GetRasterBand(1);
    int bw = 0, bh = 0;
    first->GetBlockSize(&bw, &bh);
    for (int b = 1; b <= n; ++b) {
      GDALRasterBand* band = file->GetRasterBand(b);
      int w = 0, h = 0;
      band->GetBlockSize(&w, &h);
      const int flags = band->GetMaskFlags();
      if (band->GetRasterDataType() != first->GetRasterDataType() || w != bw || h != bh ||
          (flags != GMF_ALL_VALID && flags != GMF_NODATA))
        return false;
    }
    return true;
  }

  cached_source(GDALDataset* file, std::string path, tile_cache& tiles);

  CPLErr GetGeoTransform(double* gt) override {
    std::copy(gt_, gt_ + 6, gt);
    return CE_None;
  }
  const OGRSpatialReference* GetSpatialRef() const override { return file_->GetSpatialRef(); }

  // All bands of block (bx, by), band after band, each plane a full block; at least rows
  // [0, rows) decoded, the rest zero. Held for the rest of this read (its other bands,
  // and the next chunk of the warp, ask for it again).
  const tile_cache::block& block(int bx, int by, int rows) {
    auto& held = held_[{bx, by}];
    if (held.block && held.rows >= rows) return *held.block;
    // GDAL decodes whole blocks; libtiff down to the last row any site reading the scene
    // needs from this block (the block is then decoded once for all of them)
    rows = tiff_ ? tiles_.rows_to_decode(path_, bx, by, bw_, bh_, rows) : bh_;
    held.block = tiles_.get(path_, bx, by, rows, [&](int r) { return decode(bx, by, r); });
    held.rows = rows;
    return *held.block;
  }

  // Window (x0, y0, w, h) of the given bands (1-based), at full resolution, into `buf` as
  // type `bt` with GDAL's spacings: what GDAL's block-based RasterIO would copy, straight
  // from the cached blocks, each decoded down to the last row of the window.
  void copy_window(int x0, int y0, int w, int h, void* buf, GDALDataType bt, int nbands,
                   const int* bands, GSpacing ps, GSpacing ls, GSpacing bs) {
    const std::size_t plane = static_cast<std::size_t>(bw_) * bh_ * sz_;
    for (int by = y0 / bh_; by <= (y0 + h - 1) / bh_; ++by) {
      const int ys = std::max(y0, by * bh_), ye = std::min(y0 + h, (by + 1) * bh_);
      for (int bx = x0 / bw_; bx <= (x0 + w - 1) / bw_; ++bx) {
        const int xs = std::max(x0, bx * bw_), xe = std::min(x0 + w, (bx + 1) * bw_);
        const auto& b = block(bx, by, ye - by * bh_);
        for (int i = 0; i < nbands; ++i) {
          const std::byte* src = b.data() + plane * static_cast<std::size_t>(bands[i] - 1);
          for (int y = ys; y < ye; ++y) {
            const std::byte* s =
                src + (static_cast<std::size_t>(y - by * bh_) * bw_ + (xs - bx * bw_)) * sz_;
            auto* d = static_cast<GByte*>(buf) + i * bs + (y - y0) * ls + (xs - x0) * ps;
            GDALCopyWords64(s, type_, sz_, d, bt, static_cast<int>(ps), xe - xs);
          }
        }
      }
    }
  }

 protected:
  CPLErr IRasterIO(GDALRWFlag rw, int x0, int y0, int w, int h, void* buf, int buf_w, int buf_h,
                   GDALDataType bt, int nbands, int* bands, GSpacing ps, GSpacing ls, GSpacing bs,
                   GDALRasterIOExtraArg* extra) override {
    if (rw != GF_Read || buf_w != w || buf_h != h || ps > INT32_MAX)
      return GDALDataset::IRasterIO(rw, x0, y0, w, h, buf, buf_w, buf_h, bt, nbands, bands, ps, ls,
                                    bs, extra);
    return guarded([&] { copy_window(x0, y0, w, h, buf, bt, nbands, bands, ps, ls, bs); });
  }

 public:
  // No exception may cross GDAL's frames: a failure becomes a GDAL error (the warp then
  // fails with this message, as it does when the file itself cannot be decoded).
  template <class F>
  static CPLErr guarded(F f) {
    try {
      f();
      return CE_None;
    } catch (const std::exception& e) {
      CPLError(CE_Failure, CPLE_AppDefined, "%s", e.what());
      return CE_Failure;
    }
  }

 private:
  tile_cache::block decode(int bx, int by, int rows) {
    const GSpacing plane = static_cast<GSpacing>(bw_) * bh_ * sz_;
    tile_cache::block out(static_cast<std::size_t>(plane * nBands));
    if (tiff_ && tiff_->decode(bx, by, rows, out.data())) return out;
    const int x = bx * bw_, y = by * bh_;
    const int w = std::min(bw_, nRasterXSize - x), h = std::min(bh_, nRasterYSize - y);
    // a block past the raster's edge is partly outside it: zeros there, as GDAL gives
    if (w < bw_ || h < bh_) std::fill(out.begin(), out.end(), std::byte{0});
    CPLErrorReset();
    if (file_->RasterIO(GF_Read, x, y, w, h, out.data(), w, h, type_, nBands, nullptr, sz_,
                        static_cast<GSpacing>(bw_) * sz_, plane, nullptr) != CE_None)
      throw error(gdal_last_error("cannot decode a block"));
    return out;
  }

  struct held_block {
    tile_cache::block_ptr block;
    int rows = 0;
  };

  GDALDataset* file_;
  std::string path_;
  tile_cache& tiles_;
  double gt_[6] = {};
  int bw_ = 0, bh_ = 0, sz_ = 0;
  GDALDataType type_ = GDT_Unknown;
  std::unique_ptr<tiff_blocks> tiff_;
  std::map<std::pair<int, int>, held_block> held_;
};

class cached_band : public GDALRasterBand {
 public:
  cached_band(cached_source* ds, int n, GDALRasterBand* file_band) : source_(ds) {
    poDS = ds;
    nBand = n;
    eDataType = file_band->GetRasterDataType();
    file_band->GetBlockSize(&nBlockXSize, &nBlockYSize);
    nodata_ = file_band->GetNoDataValue(&has_nodata_);
  }
  double GetNoDataValue(int* ok) override {
    if (ok != nullptr) *ok = has_nodata_;
    return nodata_;
  }

 protected:
  CPLErr IReadBlock(int bx, int by, void* image) override {
    return cached_source::guarded([&] {
      const auto& b = source_->block(bx, by, nBlockYSize);
      const std::size_t plane = b.size() / static_cast<std::size_t>(poDS->GetRasterCount());
      std::memcpy(image, b.data() + plane * static_cast<std::size_t>(nBand - 1), plane);
    });
  }
  CPLErr IRasterIO(GDALRWFlag rw, int x0, int y0, int w, int h, void* buf, int buf_w, int buf_h,
                   GDALDataType bt, GSpacing ps, GSpacing ls,
                   GDALRasterIOExtraArg* extra) override {
    if (rw != GF_Read || buf_w != w || buf_h != h || ps > INT32_MAX)
      return GDALRasterBand::IRasterIO(rw, x0, y0, w, h, buf, buf_w, buf_h, bt, ps, ls, extra);
    return cached_source::guarded(
        [&] { source_->copy_window(x0, y0, w, h, buf, bt, 1, &nBand, ps, ls, 0); });
  }

 private:
  cached_source* source_;
  double nodata_ = 0;
  int has_nodata_ = 0;
};

cached_source::cached_source(GDALDataset* file, std::string path, tile_cache& tiles)
    : file_(file), path_(std::move(path)), tiles_(tiles) {
  nRasterXSize = file->GetRasterXSize();
  nRasterYSize = file->GetRasterYSize();
  file->GetGeoTransform(gt_);
  GDALRasterBand* first = file->GetRasterBand(1);
  first->GetBlockSize(&bw_, &bh_);
  type_ = first->GetRasterDataType();
  sz_ = GDALGetDataTypeSizeBytes(type_);
  for (int b = 1; b <= file->GetRasterCount(); ++b)
    SetBand(b, new cached_band(this, b, file->GetRasterBand(b)));
  tiff_ = tiff_blocks::open(path_, file, bw_, bh_, sz_);
}

}  // namespace

std::unique_ptr<GDALDataset> make_cached_view(GDALDataset* file, const std::string& path,
                                              tile_cache& tiles) {
  if (!cached_source::can_serve(file)) return nullptr;
  return std::make_unique<cached_source>(file, path, tiles);
}

}  // namespace sw
