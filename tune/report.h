// `bog tune report`: a study as an HTML page with inline SVG plots (best-so-far validation
// accuracy per trial, one slice plot per parameter) and the trials table, and the same as
// Markdown (tables, no plots) for docs/evidence/.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tune/study_db.h"

namespace bog::tune {

struct StudyView {
  std::string name;  // the study's name
  std::string sampler;
  std::vector<TrialRecord> trials;
};

// The study `study_name` (empty: the only one) in the storage.
[[nodiscard]] StudyView load_study_view(const StorageUrl& url, const std::string& study_name);

// Several studies (e.g. one per sampler) share the best-so-far plot.
[[nodiscard]] std::string study_report_html(const std::vector<StudyView>& studies);
[[nodiscard]] std::string study_report_markdown(const std::vector<StudyView>& studies);

// An SVG line/scatter plot: each series is (x, y) points; lines joins them.
struct PlotSeries {
  std::string label;
  std::vector<std::pair<double, double>> points;
  bool lines = true;
};
[[nodiscard]] std::string svg_plot(const std::string& title, const std::string& x_label,
                                   const std::string& y_label,
                                   const std::vector<PlotSeries>& series, bool log_x = false);

}  // namespace bog::tune
