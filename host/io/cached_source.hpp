// A read-only view of a raster whose blocks come from the run's tile cache
// (host/io/tile_cache.hpp). It has the file's size, block size, data types, nodata values,
// geotransform and CRS, so GDAL's warper reads it as it reads the file (the same source
// window, the same arithmetic: the output is identical byte for byte,
// tests/host/scene_reader_test.cpp); only the decoding is shared between the sites that
// read the scene, and it stops at the last row a read needs.
#pragma once

#include <memory>
#include <string>

#include <gdal_priv.h>

namespace sw {

class tile_cache;

// The view of `file` (opened from `path`, owned by the caller and outliving the view),
// or nullptr when a view cannot stand in for the file exactly: no geotransform, GCPs or
// RPCs, bands of mixed types or block sizes, or a mask other than nodata (an alpha band,
// a per-dataset mask). Missing blocks are decoded through libtiff directly when the file
// is a plain GeoTIFF whose blocks hold the samples GDAL would give (pixel-interleaved,
// 8/16/32-bit, a lossless codec), up to the last row the read needs; otherwise whole,
// through `file`.
std::unique_ptr<GDALDataset> make_cached_view(GDALDataset* file, const std::string& path,
                                              tile_cache& tiles);

}  // namespace sw
