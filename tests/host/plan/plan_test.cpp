// Shards (host/plan/plan.hpp): sites balanced by their (site, scene) pairs, longest
// processing time first, every site whole in exactly one shard.
#include "host/plan/plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace {

std::vector<long long> loads(const std::vector<long long>& pairs, const std::vector<int>& shard,
                             int n) {
  std::vector<long long> load(static_cast<std::size_t>(n), 0);
  for (std::size_t s = 0; s < pairs.size(); ++s)
    load[static_cast<std::size_t>(shard[s])] += pairs[s];
  return load;
}

// The best split's largest shard, by trying every assignment (n^sites: small examples only).
long long optimal_max_load(const std::vector<long long>& pairs, int n) {
  std::vector<int> shard(pairs.size(), 0);
  long long best = -1;
  while (true) {
    const auto l = loads(pairs, shard, n);
    const long long m = *std::max_element(l.begin(), l.end());
    if (best < 0 || m < best) best = m;
    std::size_t k = 0;
    while (k < shard.size() && ++shard[k] == n) shard[k++] = 0;
    if (k == shard.size()) return best;
  }
}

}  // namespace

TEST(assign_shards, uneven_sites_every_site_once_and_the_lpt_bound) {
  const std::vector<long long> pairs = {5, 48, 7, 30, 1, 12, 25, 40, 0, 20, 3, 9};
  const int n = 3;
  const auto shard = sw::assign_shards(pairs, n);
  ASSERT_EQ(shard.size(), pairs.size());
  for (const int i : shard) {
    EXPECT_GE(i, 0);
    EXPECT_LT(i, n);
  }
  // By hand: 48->0, 40->1, 30->2, 25->2 (55), 20->1 (60), 12->0 (60), 9->2 (64), 7->0 (67),
  // 5->1 (65), 3->2 (67), 1->1 (66), 0->1 (the least loaded).
  EXPECT_EQ(shard, (std::vector<int>{1, 0, 0, 2, 1, 0, 2, 1, 1, 1, 2, 2}));
  const auto l = loads(pairs, shard, n);
  const long long total = 200, largest = 48;
  const long long max_load = *std::max_element(l.begin(), l.end());
  EXPECT_EQ(l[0] + l[1] + l[2], total);
  // Graham's bound for any greedy order, and LPT's (4/3 - 1/(3n)) of the best split.
  EXPECT_LE(max_load, total / n + largest);
  const long long opt = optimal_max_load(pairs, n);
  EXPECT_LE(3 * n * max_load, (4 * n - 1) * opt) << max_load << " vs the best " << opt;
  EXPECT_EQ(max_load, 67);  // the best split here
  EXPECT_EQ(opt, 67);
  // what `site % n` gave before: 80, 92, 28
  std::vector<int> modulo(pairs.size());
  for (std::size_t s = 0; s < pairs.size(); ++s) modulo[s] = static_cast<int>(s % n);
  const auto ml = loads(pairs, modulo, n);
  EXPECT_EQ(*std::max_element(ml.begin(), ml.end()), 92);
}

TEST(assign_shards, ties_lowest_shard_and_the_classic_worst_case) {
  // Equal sites go round the shards in site order.
  EXPECT_EQ(sw::assign_shards({4, 4, 4, 4, 4}, 2), (std::vector<int>{0, 1, 0, 1, 0}));
  // LPT's worst case for two shards: 7 against the best 6 = (4/3 - 1/6) * 6.
  const std::vector<long long> pairs = {3, 3, 2, 2, 2};
  const auto shard = sw::assign_shards(pairs, 2);
  EXPECT_EQ(shard, (std::vector<int>{0, 1, 0, 1, 0}));
  const auto l = loads(pairs, shard, 2);
  EXPECT_EQ(std::max(l[0], l[1]), 7);
  EXPECT_EQ(optimal_max_load(pairs, 2), 6);
  // One shard, no sites, more shards than sites.
  EXPECT_EQ(sw::assign_shards({9, 1}, 1), (std::vector<int>{0, 0}));
  EXPECT_TRUE(sw::assign_shards({}, 4).empty());
  EXPECT_EQ(sw::assign_shards({1, 9}, 5), (std::vector<int>{1, 0}));
}

TEST(assign_shards, deterministic_on_many_sites) {
  std::vector<long long> pairs;
  unsigned x = 12345;
  for (int s = 0; s < 500; ++s) {
    x = x * 1103515245u + 12345u;
    pairs.push_back(static_cast<long long>((x >> 16) % 366));
  }
  for (const int n : {1, 7, 64, 499, 500, 600}) {
    const auto a = sw::assign_shards(pairs, n);
    EXPECT_EQ(a, sw::assign_shards(pairs, n)) << n;
    const auto l = loads(pairs, a, n);
    long long total = 0;
    for (const long long p : pairs) total += p;
    const long long largest = *std::max_element(pairs.begin(), pairs.end());
    EXPECT_LE(*std::max_element(l.begin(), l.end()), total / n + largest) << n;
  }
}

namespace {

// Site k: a small square at longitude k + 0.5, latitude 0.5.
sw::site_catalog four_sites() {
  sw::site_catalog c;
  for (int k = 0; k < 4; ++k) {
    sw::site s;
    s.id = std::string(1, static_cast<char>('a' + k));
    sw::zone z;
    z.site_id = s.id;
    z.class_name = "change";
    z.wkt_lonlat =
        fmt::format("POLYGON(({0} 0.4,{1} 0.4,{1} 0.6,{0} 0.6,{0} 0.4))", k + 0.4, k + 0.6);
    s.zones.push_back(z);
    c.sites.push_back(s);
  }
  return c;
}

sw::scene_info scene(int t, double lon0, double lon1, const std::string& error = "") {
  sw::scene_info s;
  s.id = fmt::format("scene{:02d}", t);
  s.acquired_unix = 1700000000 + 86400LL * (20 - t);  // listed latest first
  s.footprint_wkt = fmt::format("POLYGON(({0} 0,{1} 0,{1} 1,{0} 1,{0} 0))", lon0, lon1);
  s.error = error;
  return s;
}

}  // namespace

TEST(make_plan, shards_split_the_sites_by_pairs_and_together_are_the_whole_plan) {
  // a sees 5 scenes, b 1, c 3, d 3; one scene with an error matches nothing.
  const std::vector<sw::scene_info> scenes = {
      scene(0, 0.1, 0.9), scene(1, 0.1, 0.9), scene(2, 0.1, 1.9),
      scene(3, 0.1, 0.9), scene(4, 0.1, 0.9), scene(5, 2.1, 3.9),
      scene(6, 2.1, 3.9), scene(7, 2.1, 3.9), scene(8, 0.0, 4.0, "not a format GDAL can read")};
  const auto catalog = four_sites();
  const auto whole = sw::make_plan(scenes, catalog);
  ASSERT_EQ(whole.work.size(), 4u);
  EXPECT_EQ(whole.pairs(), 12);

  for (const int n : {1, 2, 3, 4, 5}) {
    std::multiset<std::size_t> sites;
    long long pairs = 0;
    for (int i = 0; i < n; ++i) {
      const auto p = sw::make_plan(scenes, catalog, i, n);
      EXPECT_EQ(p.sites_seen, whole.sites_seen) << i << "/" << n;  // of the whole catalog
      for (std::size_t k = 0; k < p.work.size(); ++k) {
        if (k > 0) {
          EXPECT_LT(p.work[k - 1].site, p.work[k].site) << "site order";
        }
        EXPECT_EQ(p.work[k].scenes, whole.work[p.work[k].site].scenes);
        sites.insert(p.work[k].site);
      }
      pairs += p.pairs();
    }
    EXPECT_EQ(sites, (std::multiset<std::size_t>{0, 1, 2, 3})) << n;  // each once: disjoint
    EXPECT_EQ(pairs, 12) << n;
  }
  // Two shards: a (5) -> 0, c (3) -> 1, d (3) -> 1, b (1) -> 0: 6 and 6 pairs, where
  // `site % 2` gave 8 (a, c) and 4 (b, d).
  const auto s0 = sw::make_plan(scenes, catalog, 0, 2), s1 = sw::make_plan(scenes, catalog, 1, 2);
  ASSERT_EQ(s0.work.size(), 2u);
  ASSERT_EQ(s1.work.size(), 2u);
  EXPECT_EQ(s0.work[0].site, 0u);
  EXPECT_EQ(s0.work[1].site, 1u);
  EXPECT_EQ(s1.work[0].site, 2u);
  EXPECT_EQ(s1.work[1].site, 3u);
  EXPECT_EQ(s0.pairs(), 6);
  EXPECT_EQ(s1.pairs(), 6);
}
