#include "tune/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "common/error.h"

namespace bog::tune {
namespace fs = std::filesystem;
namespace {

const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string value_text(const nlohmann::json& v) {
  if (v.is_number_float()) return fmt::format("{:.4g}", v.get<double>());
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::vector<std::string> param_names(const std::vector<StudyView>& studies) {
  std::vector<std::string> names;
  for (const auto& s : studies) {
    for (const auto& t : s.trials) {
      for (const auto& [k, _] : t.params.items()) {
        if (std::find(names.begin(), names.end(), k) == names.end()) names.push_back(k);
      }
    }
  }
  return names;
}

std::vector<std::pair<double, double>> best_so_far(const std::vector<TrialRecord>& trials) {
  std::vector<std::pair<double, double>> pts;
  double best = -1;
  for (const auto& t : trials) {
    if (t.state == TrialState::kComplete && t.value) best = std::max(best, *t.value);
    if (best >= 0) pts.emplace_back(t.number, best);
  }
  return pts;
}

}  // namespace

StudyView load_study_view(const StorageUrl& url, const std::string& study_name) {
  StudyDb db(url, study_name, false);
  StudyView v;
  v.name = db.study_name();
  v.sampler = nlohmann::json::parse(db.meta("config").value_or("{}")).value("sampler", "gp");
  v.trials = db.trials();
  return v;
}

std::string svg_plot(const std::string& title, const std::string& x_label,
                     const std::string& y_label, const std::vector<PlotSeries>& series,
                     bool log_x) {
  const double w = 480, h = 300, left = 60, right = 20, top = 30, bottom = 45;
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  auto tx = [&](double x) { return log_x ? std::log10(x) : x; };
  for (const auto& s : series) {
    for (const auto& [x, y] : s.points) {
      x0 = std::min(x0, tx(x));
      x1 = std::max(x1, tx(x));
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
  }
  if (x0 > x1) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 - x0 < 1e-12) x0 -= 0.5, x1 += 0.5;
  if (y1 - y0 < 1e-12) y0 -= 0.01, y1 += 0.01;
  auto px = [&](double x) { return left + (tx(x) - x0) / (x1 - x0) * (w - left - right); };
  auto py = [&](double y) { return h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom); };
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n"
      "<text x=\"{}\" y=\"18\" font-size=\"13\">{}</text>\n"
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n",
      w, h, left, escape(title), left, top, w - left - right, h - top - bottom);
  for (int i = 0; i <= 4; ++i) {
    const double yv = y0 + (y1 - y0) * i / 4, xv = x0 + (x1 - x0) * i / 4;
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{:.4g}</text>\n", left - 4,
                       py(yv) + 4, yv);
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{:.3g}</text>\n",
                       left + (xv - x0) / (x1 - x0) * (w - left - right), h - bottom + 14,
                       log_x ? std::pow(10.0, xv) : xv);
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                     (left + w - right) / 2, h - 8, escape(x_label));
  svg += fmt::format(
      "<text x=\"12\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 12 {})\">{}</text>\n",
      (top + h - bottom) / 2, (top + h - bottom) / 2, escape(y_label));
  for (size_t s = 0; s < series.size(); ++s) {
    const char* colour = kColours[s % std::size(kColours)];
    if (series[s].lines && series[s].points.size() > 1) {
      std::string pts;
      for (const auto& [x, y] : series[s].points)
        pts += fmt::format("{:.1f},{:.1f} ", px(x), py(y));
      svg +=
          fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n",
                      colour, pts);
    }
    for (const auto& [x, y] : series[s].points) {
      svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n", px(x),
                         py(y), colour);
    }
    if (series.size() > 1) {
      svg += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"{}\">{}</text>\n", left + 8,
                         top + 14 + 13 * static_cast<double>(s), colour, escape(series[s].label));
    }
  }
  return svg + "</svg>\n";
}

std::string study_report_html(const std::vector<StudyView>& studies) {
  std::string html =
      "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>bog tune report</title>\n"
      "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
      "td,th{border:1px solid #ccc;padding:2px 6px;font-size:12px}"
      ".plots svg{margin:4px}</style></head><body>\n<h1>Tuning report</h1>\n"
      "<p>Objective: validation accuracy on the trainer's held-out split of train.csv "
      "(maximised). The test split is not used by the study.</p>\n";
  std::vector<PlotSeries> best;
  for (const auto& s : studies)
    best.push_back({s.name + " (" + s.sampler + ")", best_so_far(s.trials)});
  html += "<div class=\"plots\">\n" +
          svg_plot("Best validation accuracy so far", "trial", "validation accuracy", best);
  for (const auto& name : param_names(studies)) {
    std::vector<PlotSeries> slice;
    bool numeric = true, positive = true;
    std::vector<std::string> categories;
    for (const auto& s : studies) {
      for (const auto& t : s.trials) {
        if (!t.params.contains(name)) continue;
        const auto& v = t.params[name];
        if (!v.is_number()) {
          numeric = false;
          if (std::find(categories.begin(), categories.end(), value_text(v)) == categories.end())
            categories.push_back(value_text(v));
        } else if (v.get<double>() <= 0) {
          positive = false;
        }
      }
    }
    bool wide = false;
    for (const auto& s : studies) {
      PlotSeries series{s.name, {}, false};
      for (const auto& t : s.trials) {
        if (!t.params.contains(name) || !t.value) continue;
        const auto& v = t.params[name];
        double x;
        if (numeric) {
          x = v.get<double>();
        } else {
          x = static_cast<double>(std::find(categories.begin(), categories.end(), value_text(v)) -
                                  categories.begin());
        }
        series.points.emplace_back(x, *t.value);
      }
      for (const auto& [x, _] : series.points) wide |= numeric && positive && x > 0 && x < 1e-2;
      slice.push_back(std::move(series));
    }
    std::string x_label = name;
    if (!numeric) {
      x_label += " (";
      for (size_t i = 0; i < categories.size(); ++i)
        x_label += fmt::format("{}{}={}", i ? ", " : "", i, categories[i]);
      x_label += ")";
    }
    html += svg_plot("Slice: " + name, x_label, "validation accuracy", slice, wide);
  }
  html += "</div>\n";
  html += "<h2>Trials</h2>\n" + [&] {
    std::string md;
    for (const auto& s : studies) {
      md += fmt::format(
          "<h3>{} ({})</h3>\n<table><tr><th>trial</th><th>state</th>"
          "<th>valid accuracy</th><th>epochs</th><th>seconds</th>",
          escape(s.name), escape(s.sampler));
      const auto names = param_names({s});
      for (const auto& n : names) md += "<th>" + escape(n) + "</th>";
      md += "<th>note</th></tr>\n";
      for (const auto& t : s.trials) {
        md +=
            fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0f}</td>", t.number,
                        state_name(t.state), t.value ? fmt::format("{:.4f}", *t.value) : "",
                        t.epochs.size(), t.finished_at > 0 ? t.finished_at - t.started_at : 0.0);
        for (const auto& n : names) {
          md += "<td>" + (t.params.contains(n) ? escape(value_text(t.params[n])) : "") + "</td>";
        }
        md += "<td>" + escape(t.message) + "</td></tr>\n";
      }
      md += "</table>\n";
    }
    return md;
  }();
  return html + "</body></html>\n";
}

std::string study_report_markdown(const std::vector<StudyView>& studies) {
  std::string md;
  for (const auto& s : studies) {
    int counts[5] = {0, 0, 0, 0, 0};
    for (const auto& t : s.trials) ++counts[static_cast<int>(t.state)];
    md += fmt::format(
        "### Study `{}` (sampler {})\n\n{} trials: {} complete, {} pruned, {} failed"
        "{}.\n\n",
        s.name, s.sampler, s.trials.size(), counts[2], counts[3], counts[4],
        counts[1] + counts[0] ? fmt::format(", {} unfinished", counts[0] + counts[1]) : "");
    const auto names = param_names({s});
    md += "| trial | state | valid accuracy | epochs | seconds |";
    for (const auto& n : names) md += " " + n + " |";
    md += "\n|---|---|---|---|---|";
    for (size_t i = 0; i < names.size(); ++i) md += "---|";
    md += "\n";
    for (const auto& t : s.trials) {
      md += fmt::format("| {} | {} | {} | {} | {:.0f} |", t.number, state_name(t.state),
                        t.value ? fmt::format("{:.4f}", *t.value) : "-", t.epochs.size(),
                        t.finished_at > 0 ? t.finished_at - t.started_at : 0.0);
      for (const auto& n : names) {
        md += " " + (t.params.contains(n) ? value_text(t.params[n]) : "") + " |";
      }
      md += "\n";
    }
    md += "\n";
  }
  return md;
}

}  // namespace bog::tune
