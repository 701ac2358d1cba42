// Indexing an archive (SPEC 1.1; docs/SCENES.md): the files discovery found are grouped into
// Planet items and generic candidates, each scene is described once, and the result is put
// in an order and given ids that do not depend on how the archive was listed.
#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>
#include <gdal.h>
#include <spdlog/spdlog.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "host/common/error.hpp"
#include "host/io/gdal_util.hpp"
#include "host/io/planet_names.hpp"
#include "host/io/scene.hpp"
#include "host/io/scene_describe.hpp"
#include "host/io/scene_discovery.hpp"
#include "host/io/scene_paths.hpp"
#include "host/io/stac.hpp"

namespace sw {

namespace {

// ---- Planet items -----------------------------------------------------------------------------

struct planet_item {
  std::vector<std::pair<planet_name, candidate>> data, udm2, metadata;
};

struct planet_choice {
  std::string data, udm2, metadata;
};

// A data asset named on its own (PATH or a list line) brings the sidecars next to it, which
// a walk would have found but a list need not name.
void add_sidecars_beside(const std::string& id, const planet_name& chosen_name,
                         const std::string& chosen_path, planet_choice& c) {
  const std::string dir = dir_name(chosen_path);
  if (c.udm2.empty()) {
    const char* first = chosen_name.clip ? "_3B_udm2_clip.tif" : "_3B_udm2.tif";
    const char* second = chosen_name.clip ? "_3B_udm2.tif" : "_3B_udm2_clip.tif";
    for (const char* suffix : {first, second}) {
      const std::string p = join_path(dir, id + suffix);
      if (vsi_path_exists(p)) {
        c.udm2 = p;
        break;
      }
    }
  }
  if (c.metadata.empty()) {
    const std::string p = join_path(dir, id + "_metadata.json");
    if (vsi_path_exists(p)) c.metadata = p;
  }
}

// Chooses the files of one Planet item; nullopt when the item has no data asset.
std::optional<planet_choice> choose_assets(const std::string& id, planet_item& item) {
  if (item.data.empty()) {
    spdlog::debug("Planet item {} ignored: it has a UDM2 or metadata but no data asset", id);
    return std::nullopt;
  }
  const auto by_path = [](const auto& a, const auto& b) { return a.second.path < b.second.path; };
  std::sort(item.data.begin(), item.data.end(), [](const auto& a, const auto& b) {
    if (a.first.rank() != b.first.rank()) return a.first.rank() > b.first.rank();
    return a.second.path < b.second.path;
  });
  const planet_name& chosen_name = item.data.front().first;
  const candidate& chosen = item.data.front().second;
  planet_choice c;
  c.data = chosen.path;
  for (std::size_t i = 1; i < item.data.size(); ++i)
    spdlog::debug("{}: not used, {} is preferred for item {}", item.data[i].second.path,
                  chosen.path, id);
  // A clipped data asset goes with the clipped UDM2 where both exist (same extent).
  std::sort(item.udm2.begin(), item.udm2.end(), [&](const auto& a, const auto& b) {
    const bool ma = a.first.clip == chosen_name.clip, mb = b.first.clip == chosen_name.clip;
    if (ma != mb) return ma;
    return a.second.path < b.second.path;
  });
  std::sort(item.metadata.begin(), item.metadata.end(), by_path);
  if (!item.udm2.empty()) c.udm2 = item.udm2.front().second.path;
  if (!item.metadata.empty()) c.metadata = item.metadata.front().second.path;
  if (chosen.listed) add_sidecars_beside(id, chosen_name, chosen.path, c);
  return c;
}

// ---- grouping and describing --------------------------------------------------------------

struct grouped_files {
  std::map<std::string, planet_item> items;  // by id, so in id order
  std::vector<candidate> generic;            // may be rasters; GDAL decides
};

grouped_files group_files(const std::vector<candidate>& files) {
  grouped_files g;
  for (const auto& c : files) {
    const std::string name = file_name(c.path);
    if (auto p = parse_planet_name(name)) {
      auto& item = g.items[p->id];
      switch (p->role) {
        case planet_role::data:
          item.data.emplace_back(*p, c);
          break;
        case planet_role::udm2:
          item.udm2.emplace_back(*p, c);
          break;
        case planet_role::metadata:
          item.metadata.emplace_back(*p, c);
          break;
        case planet_role::unused:
          spdlog::debug("{}: Planet asset not used by sitewatch", c.path);
          break;
      }
    } else if (skipped_extension(extension_of(name))) {
      spdlog::debug("{}: skipped (not a raster by its extension)", c.path);
    } else {
      g.generic.push_back(c);
    }
  }
  return g;
}

// One work item per scene: a Planet item's chosen files, or a generic candidate that still
// has to pass GDAL's Identify. Describing opens each raster exactly once.
struct work {
  std::string data, udm2, metadata;
  bool generic = false;
};

std::vector<work> plan_work(grouped_files& g) {
  std::vector<work> todo;
  for (auto& [id, item] : g.items)
    if (auto c = choose_assets(id, item)) todo.push_back({c->data, c->udm2, c->metadata, false});
  for (const auto& c : g.generic) todo.push_back({c.path, {}, {}, true});
  return todo;
}

// Open first and ask GDAL's Identify only when that fails: a raster is then opened once, and
// what fails to open is told apart from what is no raster at all (nullopt: not a scene).
std::optional<scene_info> describe_generic(const work& w, const file_census& census) {
  bool open_failed = false;
  scene_info s = describe(w.data, w.udm2, w.metadata, &census, &open_failed);
  if (!open_failed) return s;
  gdal_error_scope quiet;
  const network_open_scope network(w.data);
  GDALDriverH drv =
      GDALIdentifyDriverEx(w.data.c_str(), GDAL_OF_RASTER, nullptr, census.siblings(w.data));
  if (!drv) {
    spdlog::debug("{}: skipped (no GDAL raster driver recognises it)", w.data);
    return std::nullopt;
  }
  // Drivers such as GPKG identify vector-only files too: those are not scenes.
  if (GDALGetMetadataItem(drv, GDAL_DCAP_VECTOR, nullptr)) {
    gdal_dataset_ptr v(
        GDALDataset::FromHandle(GDALOpenEx(w.data.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY,
                                           nullptr, nullptr, census.siblings(w.data))));
    if (v) {
      spdlog::debug("{}: skipped (a vector dataset, not a raster)", w.data);
      return std::nullopt;
    }
  }
  return s;
}

std::vector<scene_info> describe_all(const std::vector<work>& todo, const file_census& census) {
  std::vector<std::optional<scene_info>> found(todo.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, todo.size(), 1), [&](const auto& r) {
    for (std::size_t i = r.begin(); i != r.end(); ++i) {
      const work& w = todo[i];
      if (w.generic)
        found[i] = describe_generic(w, census);
      else
        found[i] = describe(w.data, w.udm2, w.metadata, &census);
    }
  });
  std::vector<scene_info> scenes;
  scenes.reserve(todo.size());
  for (auto& s : found)
    if (s) scenes.push_back(std::move(*s));
  return scenes;
}

// ---- order and ids --------------------------------------------------------------------------

void sort_by_time(std::vector<scene_info>& scenes) {
  std::sort(scenes.begin(), scenes.end(), [](const scene_info& a, const scene_info& b) {
    if (a.acquired_unix != b.acquired_unix) return a.acquired_unix < b.acquired_unix;
    if (a.id != b.id) return a.id < b.id;
    return a.path < b.path;
  });
}

// Scene ids key every output row, so two scenes may not share one (generic stems can
// collide across folders). The first usable one by path keeps the id.
void refuse_duplicate_ids(std::vector<scene_info>& scenes) {
  std::unordered_map<std::string, std::size_t> keeper;
  for (std::size_t i = 0; i < scenes.size(); ++i) {
    auto [it, inserted] = keeper.emplace(scenes[i].id, i);
    if (inserted) continue;
    const scene_info& k = scenes[it->second];
    const bool better = (scenes[i].error.empty() && !k.error.empty()) ||
                        (scenes[i].error.empty() == k.error.empty() && scenes[i].path < k.path);
    if (better) it->second = i;
  }
  for (std::size_t i = 0; i < scenes.size(); ++i) {
    const std::size_t k = keeper.at(scenes[i].id);
    if (k == i || !scenes[i].error.empty()) continue;
    scenes[i].error = fmt::format("{}: duplicate scene id {} (also {}); rename one of them",
                                  scenes[i].path, scenes[i].id, scenes[k].path);
  }
}

}  // namespace

std::vector<scene_info> index_scenes(const std::string& path, const std::string& area_wkt) {
  gdal_init();
  gdal_error_scope errors;
  const auto start = std::chrono::steady_clock::now();
  std::vector<scene_info> scenes;
  if (auto stac = index_stac(path, area_wkt)) {  // a STAC ItemCollection or Item (host/io/stac.hpp)
    scenes = std::move(*stac);
  } else {
    discovery d = discover(path);
    grouped_files g = group_files(d.files);
    const std::vector<work> todo = plan_work(g);
    std::optional<std::vector<scene_info>> items;
    if (todo.empty()) items = index_stac_folder(path, area_wkt);  // no raster: STAC items?
    scenes = items ? std::move(*items) : describe_all(todo, d.census);
    for (auto& s : d.failed) scenes.push_back(std::move(s));
  }
  if (scenes.empty())
    throw input_error(fmt::format(
        "{}: no raster found (no Planet PSScene data asset and no other raster GDAL can read)",
        path));
  sort_by_time(scenes);
  refuse_duplicate_ids(scenes);

  const auto failed = std::count_if(scenes.begin(), scenes.end(),
                                    [](const scene_info& s) { return !s.error.empty(); });
  spdlog::debug("{}: {} scenes ({} unusable) indexed in {:.2f} s", path, scenes.size(), failed,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return scenes;
}

}  // namespace sw
