#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <stdexcept>

#include "report/plot.h"

using namespace emofuse::report;

namespace {

// The text a reader sees in a PLplot SVG: the <tspan> contents, with the hexadecimal character
// references PLplot writes (&#x41;) decoded, one string per text element.
std::vector<std::string> visible_texts(const std::string& svg) {
  std::vector<std::string> out;
  std::regex tspan("<tspan[^>]*>([^<]*)</tspan>");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), tspan); it != std::sregex_iterator(); ++it) {
    const std::string raw = (*it)[1];
    std::string text;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw.compare(i, 3, "&#x") == 0) {
        const auto end = raw.find(';', i);
        text += static_cast<char>(std::stoi(raw.substr(i + 3, end - i - 3), nullptr, 16));
        i = end;
      } else {
        text += raw[i];
      }
    }
    out.push_back(text);
  }
  return out;
}

bool shows(const std::string& svg, const std::string& text) {
  for (const auto& t : visible_texts(svg)) {
    if (t == text) return true;
  }
  return false;
}

BarChart two_series_chart() {
  BarChart chart;
  chart.title = "Accuracy per fold";
  chart.x_label = "test subject";
  chart.y_label = "accuracy";
  chart.categories = {"S01", "S02", "S#3"};
  chart.series = {{"helo", {0.5, 0.7, 0.2}}, {"mlp_early", {0.4, 0.6, 0.3}}};
  chart.reference = Series{"prior (floor)", {0.3, 0.3, 0.35}};
  return chart;
}

}  // namespace

TEST(Plot, BarChartShowsTitleAxesCategoriesAndLegend) {
  const auto svg = bar_chart_svg(two_series_chart());
  ASSERT_EQ(svg.rfind("<svg", 0), 0u) << "an inline <svg> element, without the XML prolog";
  EXPECT_NE(svg.find("width=\"640\""), std::string::npos);
  EXPECT_NE(svg.find("aria-label=\"Accuracy per fold\""), std::string::npos);
  for (const char* text :
       {"Accuracy per fold", "test subject", "accuracy", "S01", "S02", "S#3", "helo", "mlp_early", "prior (floor)"}) {
    EXPECT_TRUE(shows(svg, text)) << "missing text: " << text;
  }
}

TEST(Plot, ManyLongCategoriesAreStillAllLabelled) {
  BarChart chart;
  chart.title = "t";
  for (int i = 0; i < 32; ++i) chart.categories.push_back("subject_" + std::to_string(i));
  chart.series = {{"m", std::vector<double>(32, 0.5)}};
  const auto svg = bar_chart_svg(chart);
  for (const auto& c : chart.categories) EXPECT_TRUE(shows(svg, c)) << c;
}

TEST(Plot, HeatmapWritesEveryCellValueOrAColourBar) {
  Heatmap map;
  map.title = "Confusion";
  map.x_label = "predicted class";
  map.y_label = "true class";
  map.row_labels = map.column_labels = {"calm", "stress"};
  map.values = {{7, 1}, {2, 11}};
  map.high = 11;
  map.cell_format = "%.0f";
  const auto svg = heatmap_svg(map);
  for (const char* text : {"Confusion", "predicted class", "true class", "calm", "stress", "7", "1", "2", "11"}) {
    EXPECT_TRUE(shows(svg, text)) << "missing text: " << text;
  }
  map.cell_format.clear();
  map.colour_bar_label = "mass";
  const auto bar = heatmap_svg(map);
  EXPECT_TRUE(shows(bar, "mass"));
  EXPECT_FALSE(shows(bar, "11")) << "no numbers in the cells without a format";
}

TEST(Plot, FiguresInOnePageHaveDistinctIds) {
  // Inlined in one HTML page, two figures must not share an element id (a clipping path of one
  // would clip the other's text).
  const auto a = bar_chart_svg(two_series_chart()), b = bar_chart_svg(two_series_chart());
  std::regex id("id=\"([^\"]+)\"");
  std::set<std::string> ids_a;
  for (auto it = std::sregex_iterator(a.begin(), a.end(), id); it != std::sregex_iterator(); ++it)
    ids_a.insert((*it)[1]);
  ASSERT_FALSE(ids_a.empty());
  for (auto it = std::sregex_iterator(b.begin(), b.end(), id); it != std::sregex_iterator(); ++it) {
    EXPECT_EQ(ids_a.count((*it)[1]), 0u) << "shared id " << (*it)[1];
  }
}

TEST(Plot, LineChartAndScatterShowTheirLegends) {
  LineChart chart;
  chart.title = "Training loss";
  chart.x_label = "epoch";
  chart.y_label = "loss";
  chart.lines = {{"S01", {1, 2, 3}, {0.9, 0.5, 0.4}}, {"S02", {1, 2, 3}, {1.0, std::nan(""), 0.3}}};
  chart.markers = {{"selected epoch", 2}};
  const auto svg = line_chart_svg(chart);
  for (const char* text : {"Training loss", "epoch", "loss", "S01", "S02", "selected epoch"}) {
    EXPECT_TRUE(shows(svg, text)) << "missing text: " << text;
  }
  Scatter plot;
  plot.title = "Entropy";
  plot.x_label = "target entropy (nats)";
  plot.y_label = "prediction entropy (nats)";
  plot.x = {0.1, 0.5};
  plot.y = {0.2, 0.4};
  plot.diagonal = true;
  const auto scatter = scatter_svg(plot);
  for (const char* text : {"Entropy", "target entropy (nats)", "prediction entropy (nats)", "y = x"}) {
    EXPECT_TRUE(shows(scatter, text)) << "missing text: " << text;
  }
}

TEST(Plot, MismatchedLengthsAreRejected) {
  auto chart = two_series_chart();
  chart.series[0].values.pop_back();
  EXPECT_THROW(bar_chart_svg(chart), std::invalid_argument);
  Heatmap map;
  map.values = {{1, 2}, {3}};
  EXPECT_THROW(heatmap_svg(map), std::invalid_argument);
  LineChart lines;
  lines.lines = {{"a", {1, 2}, {1}}};
  EXPECT_THROW(line_chart_svg(lines), std::invalid_argument);
}
