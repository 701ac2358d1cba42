// `sitewatch report`: one self-contained HTML page for a browser: per site and class the
// time series of counts (or changed area) with the unobservable dates and the anomalies
// marked, a table of the anomalies, and image chips of the most telling scenes with their
// detections drawn on them.
#pragma once

#include <string>

namespace sw {

struct report_options {
  std::string results;  // results.gpkg
  std::string out;      // report.html
  int chips = 3;        // image chips per site (anomalies first, then the largest counts)
};

// Throws sw::input_error when the results are not a sitewatch output. Scenes that can no
// longer be read (moved archive) get a note instead of a chip.
void write_report(const report_options& opt);

}  // namespace sw
