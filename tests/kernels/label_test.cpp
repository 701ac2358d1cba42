// Union-find labelling against a naive flood fill, on random masks of odd sizes.
#include <gtest/gtest.h>

#include <queue>
#include <random>
#include <vector>

#include <oneapi/tbb/task_arena.h>

#include "kernels/cpu/backend.hpp"
#include "kernels/cpu/label_cpu.hpp"
#include "kernels/label.cuh"
#include "kernels/serial/backend.hpp"

namespace {

using sw::kern::cpu_backend;
using sw::kern::index_t;

// Oracle: BFS in raster order, 8-connectivity; component ids in order of first pixel.
std::vector<long long> naive_labels(const std::vector<std::uint8_t>& m, int w, int h) {
  std::vector<long long> lab(m.size(), -1);
  long long next = 0;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const index_t i = static_cast<index_t>(y) * w + x;
      if (!m[i] || lab[i] >= 0) continue;
      std::queue<std::pair<int, int>> q;
      q.push({x, y});
      lab[i] = next;
      while (!q.empty()) {
        auto [cx, cy] = q.front();
        q.pop();
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx) {
            const int nx = cx + dx, ny = cy + dy;
            if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
            const index_t j = static_cast<index_t>(ny) * w + nx;
            if (m[j] && lab[j] < 0) {
              lab[j] = next;
              q.push({nx, ny});
            }
          }
      }
      ++next;
    }
  return lab;
}

// The device's launcher (label.cuh label_components: init, merge, flatten, root flags,
// scan, compact, and the count from the last rank and flag) on the serial backend, which
// runs it as a GPU would, per element.
template <class Label>
std::vector<long long> union_find_labels(const std::vector<std::uint8_t>& m, int w, int h) {
  std::vector<Label> comp(static_cast<std::size_t>(w) * h);
  const index_t count =
      sw::kern::label_components<Label>(sw::kern::serial_backend{}, m.data(), comp.data(), w, h);
  long long top = -1;
  for (auto c : comp) top = std::max<long long>(top, c);
  EXPECT_EQ(count, top + 1);
  return std::vector<long long>(comp.begin(), comp.end());
}

// The CPU launch (kernels/cpu/label_cpu.hpp: union-find over runs, strips per thread):
// compact ids directly.
template <class Label>
std::vector<long long> cpu_components(const std::vector<std::uint8_t>& m, int w, int h) {
  std::vector<Label> comp(static_cast<std::size_t>(w) * h);
  const index_t count =
      sw::kern::label_components<Label>(cpu_backend{}, m.data(), comp.data(), w, h);
  long long top = -1;
  for (auto c : comp) top = std::max<long long>(top, c);
  EXPECT_EQ(count, top + 1);
  return std::vector<long long>(comp.begin(), comp.end());
}

std::vector<std::uint8_t> random_mask(int w, int h, double density, unsigned seed) {
  std::mt19937 rng(seed);
  std::bernoulli_distribution on(density);
  std::vector<std::uint8_t> m(static_cast<std::size_t>(w) * h);
  for (auto& v : m) v = on(rng) ? 1 : 0;
  return m;
}

struct size_case {
  int w, h;
};

class label_sizes : public ::testing::TestWithParam<size_case> {};

TEST_P(label_sizes, equals_flood_fill_at_several_densities) {
  const auto [w, h] = GetParam();
  for (double density : {0.0, 0.1, 0.45, 0.6, 1.0}) {
    const auto m =
        random_mask(w, h, density, static_cast<unsigned>(w * 131 + h * 7 + density * 100));
    const auto expect = naive_labels(m, w, h);
    EXPECT_EQ(union_find_labels<std::int32_t>(m, w, h), expect)
        << w << "x" << h << " d=" << density;
    EXPECT_EQ(union_find_labels<std::int64_t>(m, w, h), expect)
        << w << "x" << h << " d=" << density;
    EXPECT_EQ(cpu_components<std::int32_t>(m, w, h), expect) << w << "x" << h << " d=" << density;
    EXPECT_EQ(cpu_components<std::int64_t>(m, w, h), expect) << w << "x" << h << " d=" << density;
  }
}

INSTANTIATE_TEST_SUITE_P(odd_sizes, label_sizes,
                         ::testing::Values(size_case{0, 0}, size_case{1, 1}, size_case{257, 3},
                                           size_case{1000, 1}, size_case{1, 777}, size_case{64, 64},
                                           size_case{65, 40}, size_case{127, 33},
                                           size_case{129, 70}, size_case{333, 211}));

// The CPU launch reads the mask 64 pixels at a time: any non-zero byte is foreground,
// and the result must not depend on how many strips (threads) cut the image.
TEST(label, cpu_launch_any_nonzero_byte_and_any_thread_count) {
  const int w = 203, h = 157;
  auto m = random_mask(w, h, 0.5, 99);
  const auto expect = naive_labels(m, w, h);
  std::mt19937 rng(5);
  for (auto& v : m)
    if (v) v = static_cast<std::uint8_t>(1 + rng() % 255);
  for (int threads : {1, 2, 3, 8}) {
    tbb::task_arena arena(threads);
    arena.execute([&] { EXPECT_EQ(cpu_components<std::int32_t>(m, w, h), expect) << threads; });
  }
}

TEST(label, spiral_and_diagonal_chains_are_one_component) {
  // A diagonal line is one component under 8-connectivity, and a long snake forces many
  // merges across rows in both directions.
  const int w = 97, h = 61;
  std::vector<std::uint8_t> m(static_cast<std::size_t>(w) * h, 0);
  for (int i = 0; i < 61; ++i) m[static_cast<std::size_t>(i) * w + i] = 1;
  for (int y = 0; y < h; y += 4) {
    for (int x = 70; x < w; ++x) m[static_cast<std::size_t>(y) * w + x] = 1;
    const int xe = (y / 4) % 2 ? 70 : w - 1;
    for (int yy = y; yy < std::min(h, y + 4); ++yy) m[static_cast<std::size_t>(yy) * w + xe] = 1;
  }
  EXPECT_EQ(union_find_labels<std::int32_t>(m, w, h), naive_labels(m, w, h));
  EXPECT_EQ(cpu_components<std::int32_t>(m, w, h), naive_labels(m, w, h));
}

}  // namespace
