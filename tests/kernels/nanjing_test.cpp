// Real imagery: the Landsat 5 TM change pair of Nanjing (../shared/data/landsat-nanjing,
// 2000-05-03 vs 2002-07-12, labelled change / no-change pixels). The engine's change mask
// (co-registration, multivariate normalisation, misregistration-proof change vector
// magnitude, Otsu) is scored on the labelled pixels against two plain baselines computed
// here from the same pixels: change vector analysis (CVA) of the raw bands + Otsu, and CVA
// of per-band z-scored bands + Otsu. Skips when ../shared is absent.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gdal_priv.h>

#include "kernels/engine.hpp"
#include "kernels/histogram.cuh"

namespace {

const std::string k_dir = std::string(SW_SOURCE_DIR) + "/../shared/data/landsat-nanjing/";

std::vector<float> read_all(const std::string& path, int& w, int& h, int& nb) {
  GDALAllRegister();
  std::unique_ptr<GDALDataset> ds(
      GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!ds) return {};
  w = ds->GetRasterXSize();
  h = ds->GetRasterYSize();
  nb = ds->GetRasterCount();
  std::vector<float> v(static_cast<std::size_t>(w) * h * nb);
  if (ds->RasterIO(GF_Read, 0, 0, w, h, v.data(), w, h, GDT_Float32, nb, nullptr, 0, 0, 0) !=
      CE_None)
    return {};
  return v;
}

struct scores {
  double overall = 0, kappa = 0, f1 = 0;
};

scores score(const std::vector<std::uint8_t>& mask, const std::vector<float>& changed,
             const std::vector<float>& unchanged) {
  double tp = 0, fn = 0, fp = 0, tn = 0;
  for (std::size_t i = 0; i < mask.size(); ++i) {
    if (changed[i] > 0)
      (mask[i] ? tp : fn) += 1;
    else if (unchanged[i] > 0)
      (mask[i] ? fp : tn) += 1;
  }
  const double n = tp + fn + fp + tn;
  const double po = (tp + tn) / n;
  const double pe = ((tp + fn) * (tp + fp) + (fp + tn) * (fn + tn)) / (n * n);
  return {po, (po - pe) / (1 - pe), 2 * tp / (2 * tp + fp + fn)};
}

// Plain CVA + Otsu: magnitude sqrt(sum_b (f(b)_b - f(a)_b)^2) per pixel, where f standardises
// each band to zero mean and unit variance when `zscore`; Otsu on a 1024-bin histogram.
std::vector<std::uint8_t> cva_otsu(const std::vector<float>& a, const std::vector<float>& b, int nb,
                                   bool zscore) {
  const std::size_t n = a.size() / nb;
  std::vector<double> mag(n, 0.0);
  for (int k = 0; k < nb; ++k) {
    double ma = 0, mb = 0, sa = 1, sb = 1;
    if (zscore) {
      double qa = 0, qb = 0;
      for (std::size_t i = 0; i < n; ++i) {
        ma += a[k * n + i];
        mb += b[k * n + i];
        qa += double(a[k * n + i]) * a[k * n + i];
        qb += double(b[k * n + i]) * b[k * n + i];
      }
      ma /= n;
      mb /= n;
      sa = std::sqrt(qa / n - ma * ma);
      sb = std::sqrt(qb / n - mb * mb);
    }
    for (std::size_t i = 0; i < n; ++i) {
      const double d = (b[k * n + i] - mb) / sb - (a[k * n + i] - ma) / sa;
      mag[i] += d * d;
    }
  }
  double top = 0;
  for (auto& m : mag) top = std::max(top, m = std::sqrt(m));
  const int bins = 1024;
  const float width = static_cast<float>(top / (bins - 1));
  std::vector<std::uint32_t> hist(bins, 0);
  for (double m : mag) ++hist[std::min(bins - 1, static_cast<int>(m / width))];
  const double t = sw::kern::histogram_otsu(hist, width);
  std::vector<std::uint8_t> mask(n);
  for (std::size_t i = 0; i < n; ++i) mask[i] = mag[i] > t ? 1 : 0;
  return mask;
}

struct pair_data {
  int w = 0, h = 0, nb = 0;
  std::vector<float> a, b, changed, unchanged;
};

// The pair and its labels, or nothing (skip) when ../shared is absent.
bool load_pair(pair_data& d) {
  if (!std::filesystem::exists(k_dir + "change.bmp")) return false;
  int w2 = 0, h2 = 0, n2 = 0;
  d.a = read_all(k_dir + "LT51200382000124BJC00_Nanjing", d.w, d.h, d.nb);
  d.b = read_all(k_dir + "LT51200382002193BJC00_Nanjing", d.w, d.h, d.nb);
  d.changed = read_all(k_dir + "change.bmp", w2, h2, n2);
  d.unchanged = read_all(k_dir + "unchanged.bmp", w2, h2, n2);
  EXPECT_FALSE(d.a.empty() || d.b.empty() || d.changed.empty() || d.unchanged.empty());
  EXPECT_EQ(d.w * d.h, w2 * h2);
  for (auto* img : {&d.a, &d.b})
    for (auto& x : *img) x = std::max(1.0f, x);  // 0 is a valid digital number here
  return true;
}

// The engine's change mask of the pair (the earlier date the reference), Otsu, the default
// registration tolerance of 0.5 px (0: kappa 0.675 with cva, misregistration noise along
// edges; 1.0: 0.648, at 30 m a pixel's shift erases small real changes).
sw::kern::engine_result engine_change(const pair_data& d, sw::kern::change_method method) {
  sw::kern::engine_params p;
  p.width = d.w;
  p.height = d.h;
  p.bands = d.nb;
  p.weights.assign(d.nb, 1.0f);
  p.method = method;
  p.threshold = sw::kern::threshold_kind::otsu;
  p.reference = sw::kern::reference_kind::previous;
  p.min_scenes = 1;
  p.search_radius_px = 2;
  sw::kern::engine_class c;
  c.name = "change";
  c.counts = false;
  c.zone.assign(static_cast<std::size_t>(d.w) * d.h, 1);
  p.classes = {c};
  auto engine = sw::kern::make_cpu_engine(p);
  const std::vector<std::uint8_t> alpha(static_cast<std::size_t>(d.w) * d.h, 255);
  engine->process({"2000-05-03", d.a.data(), alpha.data(), nullptr}, true, false);
  return engine->process({"2002-07-12", d.b.data(), alpha.data(), nullptr}, true, true);
}

// The engine's mask with `method` scored, printed, and held to at least both plain
// baselines computed here from the same pixels and to `min_kappa`.
void check_method(const pair_data& d, sw::kern::change_method method, const char* name,
                  double min_kappa) {
  const auto r = engine_change(d, method);
  ASSERT_TRUE(r.has_reference);
  EXPECT_LT(std::abs(r.shift_x), 0.25) << "the pair is co-registered";
  EXPECT_LT(std::abs(r.shift_y), 0.25);
  if (method == sw::kern::change_method::mad) {
    EXPECT_TRUE(r.mad_fitted);
  }
  const scores s = score(r.change_mask, d.changed, d.unchanged);
  const scores plain = score(cva_otsu(d.a, d.b, d.nb, false), d.changed, d.unchanged);
  const scores zs = score(cva_otsu(d.a, d.b, d.nb, true), d.changed, d.unchanged);
  std::printf("[ nanjing  ] %s: threshold %.2f  overall accuracy %.4f  kappa %.4f  F1 %.4f\n", name,
              r.threshold, s.overall, s.kappa, s.f1);
  std::printf(
      "[ nanjing  ] plain CVA + Otsu: kappa %.4f  F1 %.4f; z-scored CVA + Otsu: kappa "
      "%.4f  F1 %.4f\n",
      plain.kappa, plain.f1, zs.kappa, zs.f1);
  EXPECT_GE(s.kappa, std::max(plain.kappa, zs.kappa));
  EXPECT_GE(s.kappa, min_kappa);
}

TEST(nanjing, change_mask_beats_plain_and_zscored_cva_on_labelled_pixels) {
  pair_data d;
  if (!load_pair(d)) GTEST_SKIP() << "no " << k_dir;
  ASSERT_FALSE(d.a.empty());
  check_method(d, sw::kern::change_method::cva, "cva", 0.70);
}

// `[change] method = "mad"`: IR-MAD's statistic decides (mad.cuh); issue 10 asks for kappa
// 0.75 on this pair.
TEST(nanjing, irmad_change_mask_reaches_kappa_075_on_labelled_pixels) {
  pair_data d;
  if (!load_pair(d)) GTEST_SKIP() << "no " << k_dir;
  ASSERT_FALSE(d.a.empty());
  check_method(d, sw::kern::change_method::mad, "mad", 0.75);
}

}  // namespace
