// The pure parts of a run's scheduling: the archive reference's members, the scenes table's
// statuses, the memory plan.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "host/config/config.hpp"
#include "host/pipeline/memory_plan.hpp"
#include "host/pipeline/scene_rows.hpp"
#include "host/pipeline/site_job.hpp"

TEST(archive_members, all_when_few_else_spread_evenly_with_both_ends) {
  const std::vector<std::size_t> few = {2, 5, 9};
  EXPECT_EQ(sw::archive_members(few, 7), few);
  std::vector<std::size_t> many;
  for (std::size_t i = 0; i < 100; ++i) many.push_back(3 * i);
  const auto m = sw::archive_members(many, 15);
  ASSERT_EQ(m.size(), 15u);
  EXPECT_EQ(m.front(), 0u);
  EXPECT_EQ(m.back(), 297u);
  for (std::size_t k = 1; k < m.size(); ++k) {
    const auto gap = (m[k] - m[k - 1]) / 3;  // in ranks: 99 / 14 = 7.07
    EXPECT_GE(gap, 7u);
    EXPECT_LE(gap, 8u);
  }
  EXPECT_EQ(sw::archive_members(many, 1), std::vector<std::size_t>{150});
  EXPECT_TRUE(sw::archive_members({}, 7).empty());
}

namespace {

sw::scene_info scene(const std::string& id, const std::string& path = "") {
  sw::scene_info s;
  s.id = id;
  s.path = path.empty() ? id + ".tif" : path;
  return s;
}

}  // namespace

TEST(scene_rows_of, failed_skipped_and_done_with_their_reasons) {
  sw::run_plan plan;
  plan.scenes = {scene("a"), scene("b"), scene("c"), scene("d"), scene("e", "/vsizip/x.zip/e.tif")};
  plan.scenes[0].error = "not a format GDAL can read";
  plan.sites_seen = {1, 2, 0, 1, 1};
  // this shard holds the site that sees b and e; d meets only another shard's site
  plan.work = {sw::site_work{0, {1, 4}}};
  const std::map<std::string, std::string> failures = {{"b", "site s1: bands differ"}};
  const auto out = sw::scene_rows_of(plan, failures, 1, 3);
  ASSERT_EQ(out.rows.size(), 5u);
  EXPECT_EQ(out.rows[0].status, "failed");
  EXPECT_EQ(out.rows[0].error, "not a format GDAL can read");  // the index's error first
  EXPECT_EQ(out.rows[1].status, "failed");
  EXPECT_EQ(out.rows[1].error, "site s1: bands differ");
  EXPECT_EQ(out.rows[2].status, "skipped");
  EXPECT_EQ(out.rows[2].error, "does not overlap any site");
  EXPECT_EQ(out.rows[3].status, "skipped");
  EXPECT_EQ(out.rows[3].error, "overlaps no site of shard 1/3");
  EXPECT_EQ(out.rows[4].status, "done");
  EXPECT_TRUE(out.rows[4].error.empty());
  EXPECT_EQ(out.failed, 2);
  EXPECT_EQ(out.skipped, 2);
  // paths absolute so that `report` finds the files from elsewhere; /vsi paths kept
  EXPECT_EQ(out.rows[1].path.front(), '/');
  EXPECT_NE(out.rows[1].path.find("b.tif"), std::string::npos);
  EXPECT_EQ(out.rows[4].path, "/vsizip/x.zip/e.tif");
  EXPECT_EQ(out.rows[1].sites_seen, 2);
}

TEST(plan_memory, sites_in_flight_follow_the_budget_within_the_threads) {
  sw::site_catalog catalog;
  catalog.sites.resize(1);
  catalog.sites[0].grid.width = 1000;
  catalog.sites[0].grid.height = 1000;  // 1 Mpx
  sw::run_plan plan;
  plan.work = {sw::site_work{0, {}}};
  const sw::config cfg = sw::default_config();
  const auto small = sw::plan_memory(256LL << 20, 8, plan, catalog, cfg);
  EXPECT_EQ(small.sites_in_flight, 1);  // less than one site's share: still one
  EXPECT_EQ(small.tokens_per_site, 1);
  const auto big = sw::plan_memory(64LL << 30, 8, plan, catalog, cfg);
  EXPECT_EQ(big.sites_in_flight, 8);  // capped by the threads
  EXPECT_EQ(big.tokens_per_site, 4);  // capped at 4 scenes ahead
  EXPECT_EQ(big.gdal_cache, 256LL << 20);
  EXPECT_EQ(big.tile_cache, 2LL << 30);
  // in between: as many sites as their estimate fits in what is left
  const long long budget = 4LL << 30;
  const auto mid = sw::plan_memory(budget, 64, plan, catalog, cfg);
  const long long rest = budget - mid.gdal_cache - mid.tile_cache - (96LL << 20);
  EXPECT_EQ(mid.sites_in_flight, static_cast<int>(rest / mid.per_site));
  EXPECT_GT(mid.sites_in_flight, 1);
  EXPECT_LT(mid.sites_in_flight, 64);
  // a site's estimate grows with its grid
  catalog.sites[0].grid.width = 2000;
  EXPECT_GT(sw::plan_memory(budget, 64, plan, catalog, cfg).per_site, 1.9 * mid.per_site);
}
