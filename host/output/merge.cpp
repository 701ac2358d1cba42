#include "host/output/merge.hpp"

#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include "host/common/error.hpp"
#include "host/io/gdal_util.hpp"
#include "host/output/gpkg_writer.hpp"

namespace sw {
namespace {

constexpr const char* k_layers[] = {"site_counts", "detections", "scenes",
                                    "sites",       "runs",       "sitewatch_journal"};

gdal_dataset_ptr open_output(const std::string& path, bool update) {
  gdal_init();
  gdal_dataset_ptr ds(GDALDataset::Open(
      path.c_str(), GDAL_OF_VECTOR | (update ? GDAL_OF_UPDATE : GDAL_OF_READONLY)));
  if (!ds) throw input_error(fmt::format("{}: cannot open: {}", path, gdal_last_error()));
  for (const char* name : k_layers)
    if (ds->GetLayerByName(name) == nullptr)
      throw input_error(fmt::format("{}: no layer '{}': not a sitewatch output", path, name));
  return ds;
}

// Copies f into layer l (fields by name; l must hold every field of f).
void append(OGRLayer* l, const OGRFeature& f, const std::string& path) {
  OGRFeature g(l->GetLayerDefn());
  if (g.SetFrom(&f, TRUE) != OGRERR_NONE || l->CreateFeature(&g) != OGRERR_NONE)
    throw error(fmt::format("{}: cannot write to {}: {}", path, l->GetName(), gdal_last_error()));
}

using pair_key = std::pair<std::string, std::string>;

pair_key key_of(const OGRFeature& f) {
  return {f.GetFieldAsString("site_id"), f.GetFieldAsString("scene_id")};
}

int status_rank(const std::string& s) {
  return s == "failed" ? 3 : s == "done" ? 2 : 1;
}

using scene_map = std::map<std::string, std::unique_ptr<OGRFeature>>;

// Which input owns each (site, scene) pair: the first that has it.
std::map<pair_key, std::size_t> pair_owners(const std::vector<gdal_dataset_ptr>& in,
                                            long long& duplicate_pairs) {
  std::map<pair_key, std::size_t> owner;
  for (std::size_t k = 0; k < in.size(); ++k) {
    OGRLayer* j = in[k]->GetLayerByName("sitewatch_journal");
    j->ResetReading();
    for (auto& f : *j) {
      const auto [it, fresh] = owner.emplace(key_of(*f), k);
      if (!fresh && it->second != k) ++duplicate_pairs;
    }
  }
  return owner;
}

// The rows of input k's pairs, from the tables keyed by (site, scene).
void copy_owned_pairs(GDALDataset* src, GDALDataset* dst, std::size_t k,
                      const std::map<pair_key, std::size_t>& owner, const std::string& out,
                      merge_summary& sum) {
  for (const char* name : {"site_counts", "detections", "sitewatch_journal"}) {
    OGRLayer* s = src->GetLayerByName(name);
    OGRLayer* d = dst->GetLayerByName(name);
    s->ResetReading();
    for (auto& f : *s) {
      const auto it = owner.find(key_of(*f));
      if (it == owner.end() || it->second != k) continue;  // another input's pair
      append(d, *f, out);
      if (std::string(name) == "site_counts") ++sum.count_rows;
      if (std::string(name) == "detections") ++sum.detection_rows;
    }
  }
}

void copy_sites(GDALDataset* src, GDALDataset* dst, const std::string& out,
                std::set<std::string>& sites_seen) {
  OGRLayer* sites = src->GetLayerByName("sites");
  OGRLayer* dsites = dst->GetLayerByName("sites");
  // the catalog's own fields: the first input's schema, extended by later ones
  for (int i = 0; i < sites->GetLayerDefn()->GetFieldCount(); ++i) {
    const OGRFieldDefn* fd = sites->GetLayerDefn()->GetFieldDefn(i);
    if (dsites->GetLayerDefn()->GetFieldIndex(fd->GetNameRef()) < 0) {
      OGRFieldDefn copy(fd);
      dsites->CreateField(&copy);
    }
  }
  // Checked against the earlier inputs only: a site twice within one input stays twice.
  std::set<std::string> here;
  sites->ResetReading();
  for (auto& f : *sites) {
    const std::string id = f->GetFieldAsString("site_id");
    if (sites_seen.count(id)) continue;
    here.insert(id);
    append(dsites, *f, out);
  }
  sites_seen.insert(here.begin(), here.end());
}

// One row per scene: the most telling status, the largest sites_seen.
void collect_scenes(GDALDataset* src, scene_map& best_scene) {
  OGRLayer* scenes = src->GetLayerByName("scenes");
  scenes->ResetReading();
  for (auto& f : *scenes) {
    const std::string id = f->GetFieldAsString("scene_id");
    auto& slot = best_scene[id];
    if (!slot) {
      slot.reset(f->Clone());
      continue;
    }
    const int a = status_rank(slot->GetFieldAsString("status"));
    const int b = status_rank(f->GetFieldAsString("status"));
    const auto seen =
        std::max(slot->GetFieldAsInteger64("sites_seen"), f->GetFieldAsInteger64("sites_seen"));
    if (b > a) slot.reset(f->Clone());
    slot->SetField("sites_seen", static_cast<GIntBig>(seen));
  }
}

}  // namespace

merge_summary merge_outputs(const std::vector<std::string>& inputs, const std::string& out,
                            bool overwrite) {
  if (inputs.empty()) throw input_error("merge: no input GeoPackage given");
  std::vector<gdal_dataset_ptr> in;
  for (const auto& p : inputs) in.push_back(open_output(p, false));
  { gpkg_writer schema(out, overwrite ? gpkg_writer::mode::overwrite : gpkg_writer::mode::create); }
  gdal_dataset_ptr dst = open_output(out, true);
  merge_summary sum;
  sum.inputs = static_cast<int>(inputs.size());
  const auto owner = pair_owners(in, sum.duplicate_pairs);

  std::set<std::string> sites_seen;
  scene_map best_scene;
  in_transaction(dst.get(), out, [&] {
    for (std::size_t k = 0; k < in.size(); ++k) {
      copy_owned_pairs(in[k].get(), dst.get(), k, owner, out, sum);
      OGRLayer* runs = in[k]->GetLayerByName("runs");
      runs->ResetReading();
      for (auto& f : *runs) append(dst->GetLayerByName("runs"), *f, out);
      copy_sites(in[k].get(), dst.get(), out, sites_seen);
      collect_scenes(in[k].get(), best_scene);
    }
    OGRLayer* dscenes = dst->GetLayerByName("scenes");
    for (const auto& [id, f] : best_scene) append(dscenes, *f, out);
    sum.scenes = static_cast<long long>(best_scene.size());
  });
  return sum;
}

}  // namespace sw
