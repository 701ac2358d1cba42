// The output GeoPackage (SPEC 4), also the run's journal: each (site, scene) pair's rows go
// in one transaction together with its row in `sitewatch_journal`, so a run killed at any
// moment and resumed neither loses nor doubles rows. One writer owns the file; it is not
// thread-safe (host/pipeline serialises calls).
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "host/io/sites.hpp"
#include "host/output/rows.hpp"

class GDALDataset;
class OGRLayer;

namespace sw {

class gpkg_writer {
 public:
  // create: a new file (an existing one is an error unless `overwrite`).
  // resume: an existing sitewatch GeoPackage, appended to (created when there is none).
  enum class mode { create, overwrite, resume };
  gpkg_writer(const std::string& path, mode m);
  ~gpkg_writer();
  gpkg_writer(const gpkg_writer&) = delete;
  gpkg_writer& operator=(const gpkg_writer&) = delete;

  const std::string& path() const { return path_; }

  // Pairs already committed, from the journal.
  std::set<std::pair<std::string, std::string>> done_pairs() const;
  // The config hash of the most recent run in the file, if any.
  std::optional<std::string> last_config_sha256() const;

  void write_run(const run_row& r);  // inserts the run row
  void finish_run(const std::string& run_id, const std::string& finished);
  void write_sites(const site_catalog& catalog);  // once: skipped if present
  // Commits the pairs' rows and journal entries in one transaction: all of them or none
  // (a commit is an fsync or more, so the async writer hands over what has queued up).
  void write_pairs(std::span<const pair_rows> pairs, const std::string& run_id);
  void write_scenes(const std::vector<scene_row>& rows);  // replaces the scenes table

 private:
  void write_pair_rows(const pair_rows& rows, const std::string& run_id, OGRLayer* counts,
                       OGRLayer* detections, OGRLayer* journal);

  std::string path_;
  GDALDataset* ds_ = nullptr;
};

}  // namespace sw
