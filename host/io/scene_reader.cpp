#include "host/io/scene_reader.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include <cpl_string.h>
#include <fmt/format.h>
#include <gdalwarper.h>
#include <ogr_spatialref.h>

#include "host/common/error.hpp"
#include "host/io/cached_source.hpp"
#include "host/io/gdal_util.hpp"
#include "host/io/tile_cache.hpp"

namespace sw {
namespace {

// Whether two CRS definitions are the same (OGRSpatialReference::IsSame, the test GDAL's
// transformer applies), asked of PROJ once per distinct pair of strings: building the
// CRS objects costs ~0.4 ms of PROJ a warp, two warps a pair, while an archive has one
// or two distinct pairs in all.
bool same_crs(const std::string& a, const std::string& b) {
  static std::mutex m;
  static std::map<std::pair<std::string, std::string>, bool> known;
  std::lock_guard<std::mutex> lock(m);
  const auto key = std::make_pair(a, b);
  if (const auto it = known.find(key); it != known.end()) return it->second;
  OGRSpatialReference sa, sb;
  const bool same = !a.empty() && !b.empty() && sa.importFromWkt(a.c_str()) == OGRERR_NONE &&
                    sb.importFromWkt(b.c_str()) == OGRERR_NONE && sa.IsSame(&sb);
  known.emplace(key, same);
  return same;
}

// A MEM dataset on the site grid whose bands point at caller-owned planes (no copy). With
// `crs` false it carries only the geotransform (the warp then maps by geotransforms).
class grid_dataset {
 public:
  grid_dataset(const site_grid& g, bool crs) {
    auto* drv = GetGDALDriverManager()->GetDriverByName("MEM");
    SW_EXPECTS(drv != nullptr, "GDAL MEM driver missing");
    ds_.reset(drv->Create("", g.width, g.height, 0, GDT_Byte, nullptr));
    SW_EXPECTS(ds_ != nullptr, "cannot create in-memory grid dataset");
    auto gt = g.geotransform();
    ds_->SetGeoTransform(gt.data());
    if (crs) ds_->SetProjection(g.crs_wkt.c_str());
  }
  void add_band(GDALDataType type, void* data) {
    char opt[64];
    std::snprintf(opt, sizeof opt, "DATAPOINTER=%p", data);
    const char* opts[] = {opt, nullptr};
    SW_EXPECTS(ds_->AddBand(type, const_cast<char**>(opts)) == CE_None,
               "cannot add band to in-memory grid dataset");
  }
  GDALDataset* get() { return ds_.get(); }

 private:
  gdal_dataset_ptr ds_;
};

// The source the warper reads: the file, or its view through the tile cache.
class warp_source {
 public:
  warp_source(const std::string& path, tile_cache* tiles)
      : path_(path), tiles_(tiles), file_(open_raster(path)) {
    if (tiles != nullptr) view_ = make_cached_view(file_.get(), path, *tiles);
  }
  ~warp_source() {
    if (tiles_ != nullptr) tiles_->read_done(path_);
  }
  warp_source(const warp_source&) = delete;
  warp_source& operator=(const warp_source&) = delete;
  GDALDataset* get() { return view_ ? view_.get() : file_.get(); }

 private:
  std::string path_;
  tile_cache* tiles_;
  gdal_dataset_ptr file_;
  std::unique_ptr<GDALDataset> view_;  // declared after file_: closed before it
};

struct warp_options_deleter {
  void operator()(GDALWarpOptions* o) const { GDALDestroyWarpOptions(o); }
};
struct transformer_deleter {
  void operator()(void* t) const { GDALDestroyGenImgProjTransformer(t); }
};

// Warps src_bands of `src` onto bands 1..n of `dst`; alpha_dst (0: none) receives coverage.
// same_crs: both are in one CRS, so pixels map through the two geotransforms alone (what
// GDAL's transformer does then too, without building CRS objects for every warp).
void warp(GDALDataset* src, GDALDataset* dst, const std::vector<int>& src_bands,
          GDALResampleAlg alg, std::optional<double> nodata, int src_alpha, int dst_alpha,
          bool same_crs, const std::string& path) {
  double src_gt[6], dst_gt[6];
  const bool by_geotransform = same_crs && src->GetGeoTransform(src_gt) == CE_None &&
                               dst->GetGeoTransform(dst_gt) == CE_None;
  std::unique_ptr<void, transformer_deleter> tr(
      by_geotransform ? GDALCreateGenImgProjTransformer3(nullptr, src_gt, nullptr, dst_gt)
                      : GDALCreateGenImgProjTransformer2(GDALDataset::ToHandle(src),
                                                         GDALDataset::ToHandle(dst), nullptr));
  if (!tr)
    throw error(fmt::format("{}: cannot transform to the site grid: {}", path, gdal_last_error()));

  std::unique_ptr<GDALWarpOptions, warp_options_deleter> wo(GDALCreateWarpOptions());
  wo->hSrcDS = GDALDataset::ToHandle(src);
  wo->hDstDS = GDALDataset::ToHandle(dst);
  const int n = static_cast<int>(src_bands.size());
  wo->nBandCount = n;
  wo->panSrcBands = static_cast<int*>(CPLMalloc(sizeof(int) * n));
  wo->panDstBands = static_cast<int*>(CPLMalloc(sizeof(int) * n));
  for (int i = 0; i < n; ++i) {
    wo->panSrcBands[i] = src_bands[i];
    wo->panDstBands[i] = i + 1;
  }
  wo->eResampleAlg = alg;
  wo->eWorkingDataType = alg == GRA_NearestNeighbour ? GDT_Byte : GDT_Float32;
  if (nodata) {
    wo->padfSrcNoDataReal = static_cast<double*>(CPLMalloc(sizeof(double) * n));
    for (int i = 0; i < n; ++i) wo->padfSrcNoDataReal[i] = *nodata;
    // A pixel is nodata when any band is 0 (Planet's convention), not band by band.
    wo->papszWarpOptions = CSLSetNameValue(wo->papszWarpOptions, "UNIFIED_SRC_NODATA", "YES");
  }
  wo->nSrcAlphaBand = src_alpha;
  wo->nDstAlphaBand = dst_alpha;
  wo->papszWarpOptions = CSLSetNameValue(wo->papszWarpOptions, "INIT_DEST", "0");
  // One thread per warp: the run already reads several scenes at once on its own threads,
  // and handing each warp's rows to GDAL's pool cost more than it gained (full-size
  // 24-date archive, 2 threads: 0.540 -> 0.518 s, medians of 11; 6 dates: no change).
  wo->papszWarpOptions = CSLSetNameValue(wo->papszWarpOptions, "NUM_THREADS", "1");
  wo->dfWarpMemoryLimit = 64.0 * 1024 * 1024;
  wo->pfnTransformer = GDALGenImgProjTransform;
  wo->pTransformerArg = tr.get();

  GDALWarpOperation op;
  CPLErrorReset();
  if (op.Initialize(wo.get()) != CE_None)
    throw error(fmt::format("{}: cannot set up the warp: {}", path, gdal_last_error()));
  if (op.ChunkAndWarpImage(0, 0, dst->GetRasterXSize(), dst->GetRasterYSize()) != CE_None)
    throw error(fmt::format("{}: read failed: {}", path, gdal_last_error()));
}

}  // namespace

std::optional<tile_cache::window> source_window(const scene_info& scene, const site_grid& grid) {
  const auto& gt = scene.geotransform;
  if (gt[2] != 0.0 || gt[4] != 0.0 || gt[1] == 0.0 || gt[5] == 0.0 ||
      !same_crs(scene.crs_wkt, grid.crs_wkt))
    return std::nullopt;
  constexpr double margin = 4.0;  // the bilinear kernel's reach and GDAL's own padding
  const double ax = (grid.x0 - gt[0]) / gt[1];
  const double bx = (grid.x0 + grid.width * grid.gsd - gt[0]) / gt[1];
  const double ay = (grid.y0 - gt[3]) / gt[5];
  const double by = (grid.y0 - grid.height * grid.gsd - gt[3]) / gt[5];
  return tile_cache::window{std::min(ax, bx) - margin, std::min(ay, by) - margin,
                            std::max(ax, bx) + margin, std::max(ay, by) + margin};
}

void invalidate_non_finite(warped_scene& s) {
  const auto plane = static_cast<std::size_t>(s.width) * s.height;
  for (std::size_t i = 0; i < plane; ++i) {
    bool finite = true;
    for (int b = 0; b < s.bands && finite; ++b) finite = std::isfinite(s.data[b * plane + i]);
    if (finite) continue;
    s.alpha[i] = 0;
    for (int b = 0; b < s.bands; ++b) s.data[b * plane + i] = 0.0f;
  }
}

warped_scene read_onto_grid(const scene_info& scene, const site_grid& grid,
                            const std::vector<int>& bands, std::pmr::memory_resource* memory,
                            tile_cache* tiles) {
  gdal_init();
  warped_scene out{0,
                   0,
                   0,
                   std::pmr::vector<float>(memory),
                   std::pmr::vector<std::uint8_t>(memory),
                   std::pmr::vector<std::uint8_t>(memory)};
  out.width = grid.width;
  out.height = grid.height;
  out.bands = static_cast<int>(bands.size());
  const auto plane = static_cast<std::size_t>(grid.pixels());
  out.data.assign(plane * bands.size(), 0.0f);
  out.alpha.assign(plane, 0);

  const bool same = same_crs(scene.crs_wkt, grid.crs_wkt);
  {
    warp_source source(scene.path, tiles);
    GDALDataset* src = source.get();
    grid_dataset dst(grid, !same);
    for (std::size_t b = 0; b < bands.size(); ++b)
      dst.add_band(GDT_Float32, out.data.data() + b * plane);
    dst.add_band(GDT_Byte, out.alpha.data());
    // Planet data: 0 is nodata. Generic: the first data band's nodata value if it has one;
    // an alpha band is passed as such, and per-dataset mask bands the warper reads itself.
    std::optional<double> nodata;
    int has_nodata = 0;
    const double v = src->GetRasterBand(bands.front())->GetNoDataValue(&has_nodata);
    if (scene.kind == scene_kind::planet)
      nodata = 0.0;
    else if (has_nodata)
      nodata = v;
    warp(src, dst.get(), bands, GRA_Bilinear, nodata, scene.alpha_band, out.bands + 1, same,
         scene.path);
  }
  invalidate_non_finite(out);

  if (!scene.udm2_path.empty()) {
    out.udm2.assign(plane * 8, 0);
    warp_source source(scene.udm2_path, tiles);
    GDALDataset* src = source.get();
    if (src->GetRasterCount() < 8)
      throw error(
          fmt::format("{}: UDM2 has {} bands, expected 8", scene.udm2_path, src->GetRasterCount()));
    // (the mask's own CRS, from the index: a UDM2 is normally in the scene's, but nothing
    // checks that; asked of the file when the scene was not indexed)
    std::string wkt = scene.udm2_crs_wkt;
    if (wkt.empty() && src->GetProjectionRef() != nullptr) wkt = src->GetProjectionRef();
    const bool udm2_same = same_crs(wkt, grid.crs_wkt);
    grid_dataset dst(grid, !udm2_same);
    for (int b = 0; b < 8; ++b) dst.add_band(GDT_Byte, out.udm2.data() + b * plane);
    warp(src, dst.get(), {1, 2, 3, 4, 5, 6, 7, 8}, GRA_NearestNeighbour, std::nullopt, 0, 0,
         udm2_same, scene.udm2_path);
  }
  return out;
}

}  // namespace sw
