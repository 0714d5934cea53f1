#include "report/plot.h"

#include <plplot.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include "core/io.h"

namespace emofuse::report {
namespace {

// Colour map 0: 0 the background, 1 the ink (axes, text), 2 the grid, 3.. the series (Tableau 10,
// distinguishable in colour and in grey print).
// Character heights relative to PLplot's default: axis text, titles, legends, numbers in cells.
constexpr PLFLT kTextScale = 0.78, kTitleScale = 1.0, kLegendScale = 0.72;
constexpr PLINT kBackground = 0, kInk = 1, kGrid = 2, kFirstSeries = 3, kSeriesColours = 10;
constexpr PLINT kPalette[3 + kSeriesColours][3] = {
    {255, 255, 255}, {0, 0, 0},     {215, 215, 215}, {31, 119, 180},  {255, 127, 14}, {44, 160, 44}, {214, 39, 40},
    {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};

PLINT series_colour(size_t i) {
  return kFirstSeries + static_cast<PLINT>(i % kSeriesColours);
}

// PLplot reads '#' as its escape character; "##" is a literal '#'.
std::string plain(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '#') out += '#';
  }
  return out;
}

// One PLplot stream drawing into memory with the SVG driver. finish() returns the <svg> element.
class SvgCanvas {
 public:
  explicit SvgCanvas(FigureSize size) : size_(size) {
    file_ = open_memstream(&buffer_, &length_);
    if (!file_) throw std::runtime_error("plot: cannot open a memory stream for the SVG");
    plmkstrm(&stream_);
    plsdev("svg");
    plsfile(file_);
    plspage(0, 0, size.width, size.height, 0, 0);
    PLINT r[3 + kSeriesColours], g[3 + kSeriesColours], b[3 + kSeriesColours];
    for (int i = 0; i < 3 + kSeriesColours; ++i) {
      r[i] = kPalette[i][0];
      g[i] = kPalette[i][1];
      b[i] = kPalette[i][2];
    }
    plscmap0(r, g, b, 3 + kSeriesColours);
    plinit();
    pladv(0);
    plschr(0, kTextScale);
    plwidth(1);
    plcol0(kInk);
  }
  SvgCanvas(const SvgCanvas&) = delete;
  SvgCanvas& operator=(const SvgCanvas&) = delete;
  ~SvgCanvas() {
    if (!finished_) plend1();  // closes file_
    std::free(buffer_);
  }

  // Ends the stream and returns its <svg> element, sized in CSS pixels, with the title as its
  // accessible name.
  std::string finish(const std::string& title) {
    plend1();  // flushes and closes file_
    finished_ = true;
    std::string svg(buffer_, length_);
    const auto start = svg.find("<svg");
    if (start == std::string::npos) throw std::runtime_error("plot: PLplot wrote no <svg> element");
    svg.erase(0, start);
    // PLplot indents every attribute on its own line; one space is enough (about half the size).
    std::string compact;
    compact.reserve(svg.size());
    for (size_t i = 0; i < svg.size(); ++i) {
      if (svg[i] == '\n') {
        while (i + 1 < svg.size() && svg[i + 1] == ' ') ++i;
        compact += ' ';
      } else {
        compact += svg[i];
      }
    }
    svg.swap(compact);
    const std::string w = std::to_string(size_.width), h = std::to_string(size_.height);
    auto replace_attribute = [&svg](const std::string& name, const std::string& value) {
      const auto at = svg.find(name + "=\"");
      if (at == std::string::npos) return;
      const auto end = svg.find('"', at + name.size() + 2);
      svg.replace(at, end - at + 1, name + "=\"" + value + "\"");
    };
    replace_attribute("width", w);
    replace_attribute("height", h);
    svg.insert(4, " role=\"img\" aria-label=\"" + xml_escape(title) + "\"");
    // PLplot names its clipping paths text-clipping0, 1, ... in every file; inlined in one page,
    // a later figure's url(#text-clipping0) would resolve to the first figure's path and clip
    // its text away. Each figure gets its own names.
    static std::atomic<int> figures{0};
    const std::string unique = "emofuse-figure" + std::to_string(figures++) + "-clip";
    for (size_t at = svg.find("text-clipping"); at != std::string::npos; at = svg.find("text-clipping", at)) {
      svg.replace(at, 13, unique);
      at += unique.size();
    }
    return svg;
  }

 private:
  FigureSize size_;
  FILE* file_ = nullptr;
  char* buffer_ = nullptr;
  size_t length_ = 0;
  PLINT stream_ = 0;
  bool finished_ = false;
};

void title_and_axis_labels(const std::string& title, const std::string& x_label, double x_label_displacement,
                           const std::string& y_label) {
  plcol0(kInk);
  plschr(0, kTitleScale);
  plmtex("t", 1.4, 0.5, 0.5, plain(title).c_str());
  plschr(0, kTextScale);
  plmtex("b", x_label_displacement, 0.5, 0.5, plain(x_label).c_str());
  plmtex("l", 5.2, 0.5, 0.5, plain(y_label).c_str());
}

// A legend outside the viewport's top right corner.
struct LegendEntry {
  std::string text;
  enum Kind { kBox, kLine, kDashedLine } kind = kBox;
  PLINT colour = kInk;
};

void legend(const std::vector<LegendEntry>& entries) {
  if (entries.empty()) return;
  const PLINT n = static_cast<PLINT>(entries.size());
  std::vector<PLINT> opts(n), text_colours(n, kInk), box_colours(n), box_patterns(n, 0), line_colours(n),
      line_styles(n), symbol_colours(n, kInk), symbol_numbers(n, 1);
  std::vector<PLFLT> box_scales(n, 0.8), box_line_widths(n, 1), line_widths(n, 2), symbol_scales(n, 1);
  std::vector<std::string> texts(n);
  std::vector<const char*> text_ptrs(n), symbols(n, "*");
  for (PLINT i = 0; i < n; ++i) {
    const auto& e = entries[i];
    opts[i] = e.kind == LegendEntry::kBox ? PL_LEGEND_COLOR_BOX : PL_LEGEND_LINE;
    box_colours[i] = line_colours[i] = e.colour;
    line_styles[i] = e.kind == LegendEntry::kDashedLine ? 2 : 1;
    texts[i] = plain(e.text);
    text_ptrs[i] = texts[i].c_str();
  }
  PLFLT width = 0, height = 0;
  plschr(0, kLegendScale);
  pllegend(&width, &height, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
           PL_POSITION_RIGHT | PL_POSITION_TOP | PL_POSITION_INSIDE | PL_POSITION_SUBPAGE, 0.01, 0.12, 0.05,
           kBackground, kGrid, 1, 0, 0, n, opts.data(), 0.8, kLegendScale, 1.8, 0.0, text_colours.data(),
           text_ptrs.data(), box_colours.data(), box_patterns.data(), box_scales.data(), box_line_widths.data(),
           line_colours.data(), line_styles.data(), line_widths.data(), symbol_colours.data(), symbol_scales.data(),
           symbol_numbers.data(), symbols.data());
  plschr(0, kTextScale);
}

// The right edge of the viewport that leaves room for a legend of these texts at the right.
double viewport_right(const std::vector<std::string>& legend_texts, const FigureSize& size) {
  if (legend_texts.empty()) return 0.96;
  size_t width = 0;
  for (const auto& t : legend_texts) width = std::max(width, t.size());
  const double pixels = 50 + 7.0 * double(width);  // the symbol, the gaps and ~7 px per character
  return std::max(0.5, 0.97 - pixels / double(size.width));
}

void fill_rectangle(double x0, double x1, double y0, double y1) {
  PLFLT x[4] = {x0, x0, x1, x1}, y[4] = {y0, y1, y1, y0};
  plfill(4, x, y);
}

void line_segment(double x0, double y0, double x1, double y1) {
  PLFLT x[2] = {x0, x1}, y[2] = {y0, y1};
  plline(2, x, y);
}

// [low, high] over the finite values, padded; an empty or constant set gets a unit range.
std::pair<double, double> padded_range(const std::vector<double>& values, bool from_zero) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (!std::isfinite(lo)) return {0, 1};
  if (from_zero) {
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
  }
  if (hi - lo < 1e-12) {
    lo -= 0.5;
    hi += 0.5;
  }
  const double pad = 0.05 * (hi - lo);
  return {from_zero && lo == 0 ? 0.0 : lo - pad, hi + pad};
}

size_t longest(const std::vector<std::string>& labels) {
  size_t n = 0;
  for (const auto& l : labels) n = std::max(n, l.size());
  return n;
}

// Category labels under the x axis: horizontal when they fit, else vertical (reading upwards).
// Returns the displacement (in character heights) for the axis label beneath them.
double category_labels(const std::vector<std::string>& labels, double plot_width_chars) {
  const size_t n = labels.size(), width = longest(labels);
  const bool vertical = n > 0 && double(width + 1) * double(n) > plot_width_chars;
  for (size_t i = 0; i < n; ++i) {
    const double pos = (double(i) + 0.5) / double(n);
    if (vertical) {
      plmtex("bv", 0.8, pos, 1.0, plain(labels[i]).c_str());
    } else {
      plmtex("b", 1.5, pos, 0.5, plain(labels[i]).c_str());
    }
  }
  return vertical ? 1.8 + 0.6 * double(width) : 3.0;
}

}  // namespace

std::string bar_chart_svg(const BarChart& chart) {
  const size_t categories = chart.categories.size();
  for (const auto& s : chart.series) {
    if (s.values.size() != categories) throw std::invalid_argument("bar_chart_svg: a series has the wrong length");
  }
  if (chart.reference && chart.reference->values.size() != categories) {
    throw std::invalid_argument("bar_chart_svg: the reference has the wrong length");
  }
  std::vector<double> all;
  for (const auto& s : chart.series) all.insert(all.end(), s.values.begin(), s.values.end());
  if (chart.reference) all.insert(all.end(), chart.reference->values.begin(), chart.reference->values.end());
  const auto [lo, hi] = chart.y_range ? *chart.y_range : padded_range(all, true);

  const bool with_legend = chart.series.size() > 1 || chart.reference;
  std::vector<std::string> legend_texts;
  if (with_legend) {
    for (const auto& s : chart.series) legend_texts.push_back(s.name);
    if (chart.reference) legend_texts.push_back(chart.reference->name);
  }
  const double right = viewport_right(legend_texts, chart.size);
  const size_t label_width = longest(chart.categories);
  const double plot_chars = (right - 0.11) * chart.size.width / 7.5;  // ~6.5 px per character
  const bool vertical = categories > 0 && double(label_width + 1) * double(categories) > plot_chars;
  const double bottom = vertical ? std::min(0.5, 0.1 + 5.2 * double(label_width) / chart.size.height) : 0.16;

  SvgCanvas canvas(chart.size);
  plvpor(0.11, right, bottom, 0.88);
  plwind(0, std::max<double>(1, categories), lo, hi);
  plcol0(kGrid);
  plbox("", 0, 0, "g", 0, 0);
  const size_t nseries = std::max<size_t>(1, chart.series.size());
  const double group = 0.8, bar = group / double(nseries);
  for (size_t s = 0; s < chart.series.size(); ++s) {
    plcol0(series_colour(s));
    for (size_t i = 0; i < categories; ++i) {
      const double v = chart.series[s].values[i];
      if (!std::isfinite(v)) continue;
      const double x0 = double(i) + 0.1 + bar * double(s);
      fill_rectangle(x0, x0 + bar * 0.92, std::max(lo, std::min(0.0, v)), std::min(hi, std::max(0.0, v)));
    }
  }
  if (chart.reference) {
    plcol0(kInk);
    plwidth(2.5);
    for (size_t i = 0; i < categories; ++i) {
      const double v = chart.reference->values[i];
      if (std::isfinite(v)) line_segment(double(i) + 0.04, v, double(i) + 0.96, v);
    }
    plwidth(1);
  }
  plcol0(kInk);
  plbox("bc", 0, 0, "bcnstv", 0, 0);
  const double x_label_at = category_labels(chart.categories, plot_chars);
  title_and_axis_labels(chart.title, chart.x_label, x_label_at, chart.y_label);
  if (with_legend) {
    std::vector<LegendEntry> entries;
    for (size_t s = 0; s < chart.series.size(); ++s)
      entries.push_back({chart.series[s].name, LegendEntry::kBox, series_colour(s)});
    if (chart.reference) entries.push_back({chart.reference->name, LegendEntry::kLine, kInk});
    legend(entries);
  }
  return canvas.finish(chart.title);
}

std::string heatmap_svg(const Heatmap& map) {
  const size_t rows = map.values.size(), cols = rows ? map.values.front().size() : 0;
  for (const auto& r : map.values) {
    if (r.size() != cols) throw std::invalid_argument("heatmap_svg: rows of different lengths");
  }
  if ((!map.row_labels.empty() && map.row_labels.size() != rows) ||
      (!map.column_labels.empty() && map.column_labels.size() != cols)) {
    throw std::invalid_argument("heatmap_svg: label count does not match the matrix");
  }
  const bool colour_bar = map.cell_format.empty();
  const bool labelled = !map.row_labels.empty();
  const double left = labelled ? std::min(0.45, 0.06 + 0.016 * double(longest(map.row_labels)) + 0.05) : 0.13;
  const double right = colour_bar ? 0.80 : 0.96;
  const double plot_chars = (right - left) * map.size.width / 7.5;
  const size_t column_width = longest(map.column_labels);
  const bool vertical_columns = labelled && double(column_width + 1) * double(cols) > plot_chars;
  const double bottom = vertical_columns ? std::min(0.5, 0.1 + 5.2 * double(column_width) / map.size.height) : 0.15;

  SvgCanvas canvas(map.size);
  plvpor(left, right, bottom, 0.88);
  plwind(0, std::max<double>(1, cols), std::max<double>(1, rows), 0);  // row 0 at the top
  // Colour map 1: white -> blue (sequential) or blue -> white -> red (diverging).
  if (map.diverging) {
    PLFLT at[3] = {0, 0.5, 1}, r[3] = {33 / 255.0, 1, 178 / 255.0}, g[3] = {102 / 255.0, 1, 24 / 255.0},
          b[3] = {172 / 255.0, 1, 43 / 255.0};
    plscmap1l(1, 3, at, r, g, b, nullptr);
  } else {
    PLFLT at[2] = {0, 1}, r[2] = {247 / 255.0, 8 / 255.0}, g[2] = {251 / 255.0, 48 / 255.0}, b[2] = {1, 107 / 255.0};
    plscmap1l(1, 2, at, r, g, b, nullptr);
  }
  const double span = map.high - map.low > 0 ? map.high - map.low : 1;
  auto position = [&](double v) { return std::clamp((v - map.low) / span, 0.0, 1.0); };
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      const double v = map.values[r][c];
      if (!std::isfinite(v)) continue;
      plcol1(position(v));
      fill_rectangle(double(c), double(c + 1), double(r), double(r + 1));
    }
  }
  if (!map.cell_format.empty()) {
    plschr(0, rows * cols > 64 ? 0.55 : 0.7);
    for (size_t r = 0; r < rows; ++r) {
      for (size_t c = 0; c < cols; ++c) {
        const double v = map.values[r][c];
        if (!std::isfinite(v)) continue;
        char text[32];
        std::snprintf(text, sizeof(text), map.cell_format.c_str(), v);
        const double t = position(v);
        const bool dark = map.diverging ? std::abs(t - 0.5) > 0.35 : t > 0.6;
        plcol0(dark ? kBackground : kInk);
        plptex(double(c) + 0.5, double(r) + 0.5, 1, 0, 0.5, text);
      }
    }
    plschr(0, kTextScale);
  }
  plcol0(kInk);
  double x_label_at = 3.0;
  if (labelled) {
    plbox("bc", 0, 0, "bc", 0, 0);
    for (size_t r = 0; r < rows; ++r) {
      plmtex("lv", 0.6, 1.0 - (double(r) + 0.5) / double(rows), 1.0, plain(map.row_labels[r]).c_str());
    }
    x_label_at = category_labels(map.column_labels, plot_chars);
  } else {
    plbox("bcnst", 0, 0, "bcnstv", 0, 0);
  }
  plschr(0, kTitleScale);
  plmtex("t", 1.4, 0.5, 0.5, plain(map.title).c_str());
  plschr(0, kTextScale);
  plmtex("b", x_label_at, 0.5, 0.5, plain(map.x_label).c_str());
  const double y_label_at = labelled ? 1.2 + 0.8 * double(longest(map.row_labels)) : 4.0;
  plmtex("l", y_label_at, 0.5, 0.5, plain(map.y_label).c_str());
  if (colour_bar) {
    plvpor(0.85, 0.88, bottom, 0.88);
    plwind(0, 1, map.low, map.high);
    const int strips = 64;
    for (int i = 0; i < strips; ++i) {
      plcol1((i + 0.5) / strips);
      fill_rectangle(0, 1, map.low + span * i / strips, map.low + span * (i + 1) / strips);
    }
    plcol0(kInk);
    plbox("bc", 0, 0, "bcmstv", 0, 0);
    plmtex("r", 5.0, 0.5, 0.5, plain(map.colour_bar_label).c_str());
  }
  return canvas.finish(map.title);
}

std::string line_chart_svg(const LineChart& chart) {
  std::vector<double> xs, ys;
  for (const auto& l : chart.lines) {
    if (l.x.size() != l.y.size()) throw std::invalid_argument("line_chart_svg: x and y of different lengths");
    xs.insert(xs.end(), l.x.begin(), l.x.end());
    ys.insert(ys.end(), l.y.begin(), l.y.end());
  }
  for (const auto& m : chart.markers) xs.push_back(m.x);
  auto [x_lo, x_hi] = chart.x_range ? *chart.x_range : padded_range(xs, false);
  auto [y_lo, y_hi] = chart.y_range ? *chart.y_range : padded_range(ys, false);
  size_t named_lines = 0;
  for (const auto& l : chart.lines) named_lines += l.in_legend ? 1 : 0;
  const bool with_legend = named_lines + chart.markers.size() + (chart.diagonal ? 1 : 0) > 1 ||
                           (named_lines + chart.markers.size() > 0 && named_lines < chart.lines.size());
  std::vector<std::string> legend_texts;
  if (with_legend) {
    if (chart.diagonal) legend_texts.push_back("perfect (y = x)");
    for (const auto& l : chart.lines) {
      if (l.in_legend) legend_texts.push_back(l.name);
    }
    for (const auto& m : chart.markers) legend_texts.push_back(m.name);
  }

  SvgCanvas canvas(chart.size);
  plvpor(0.11, viewport_right(legend_texts, chart.size), 0.16, 0.88);
  plwind(x_lo, x_hi, y_lo, y_hi);
  plcol0(kGrid);
  plbox("g", 0, 0, "g", 0, 0);
  std::vector<LegendEntry> entries;
  if (chart.diagonal) {
    plcol0(kFirstSeries + 7);  // grey
    pllsty(3);
    line_segment(std::max(x_lo, y_lo), std::max(x_lo, y_lo), std::min(x_hi, y_hi), std::min(x_hi, y_hi));
    pllsty(1);
    entries.push_back({"perfect (y = x)", LegendEntry::kDashedLine, kFirstSeries + 7});
  }
  for (size_t i = 0; i < chart.lines.size(); ++i) {
    const auto& l = chart.lines[i];
    // Markers without a line (e.g. the selected epochs on every fold's curve) are drawn in ink,
    // larger, to stand out from the coloured lines.
    const PLINT colour = l.connected ? series_colour(i) : kInk;
    plssym(0, l.connected ? 0.6 : 1.1);
    plcol0(colour);
    pllsty(l.dashed ? 2 : 1);
    plwidth(1.8);
    std::vector<PLFLT> x, y;
    auto flush = [&] {
      if (l.connected && x.size() > 1) plline(static_cast<PLINT>(x.size()), x.data(), y.data());
      if ((l.points || !l.connected) && !x.empty()) plpoin(static_cast<PLINT>(x.size()), x.data(), y.data(), 4);
      x.clear();
      y.clear();
    };
    for (size_t k = 0; k < l.x.size(); ++k) {
      if (std::isfinite(l.x[k]) && std::isfinite(l.y[k])) {
        x.push_back(l.x[k]);
        y.push_back(l.y[k]);
      } else {
        flush();
      }
    }
    flush();
    plwidth(1);
    pllsty(1);
    if (l.in_legend) entries.push_back({l.name, l.dashed ? LegendEntry::kDashedLine : LegendEntry::kLine, colour});
  }
  for (const auto& m : chart.markers) {
    plcol0(kInk);
    pllsty(2);
    line_segment(m.x, y_lo, m.x, y_hi);
    pllsty(1);
    entries.push_back({m.name, LegendEntry::kDashedLine, kInk});
  }
  plcol0(kInk);
  plbox("bcnst", 0, 0, "bcnstv", 0, 0);
  title_and_axis_labels(chart.title, chart.x_label, 3.0, chart.y_label);
  if (with_legend) legend(entries);
  return canvas.finish(chart.title);
}

std::string scatter_svg(const Scatter& plot) {
  if (plot.x.size() != plot.y.size()) throw std::invalid_argument("scatter_svg: x and y of different lengths");
  auto [x_lo, x_hi] = plot.x_range ? *plot.x_range : padded_range(plot.x, false);
  auto [y_lo, y_hi] = plot.y_range ? *plot.y_range : padded_range(plot.y, false);
  SvgCanvas canvas(plot.size);
  plvpor(0.13,
         viewport_right(plot.diagonal ? std::vector<std::string>{plot.diagonal_name} : std::vector<std::string>{},
                        plot.size),
         0.16, 0.88);
  plwind(x_lo, x_hi, y_lo, y_hi);
  plcol0(kGrid);
  plbox("g", 0, 0, "g", 0, 0);
  if (plot.diagonal) {
    plcol0(kInk);
    pllsty(2);
    line_segment(std::max(x_lo, y_lo), std::max(x_lo, y_lo), std::min(x_hi, y_hi), std::min(x_hi, y_hi));
    pllsty(1);
  }
  std::vector<PLFLT> x, y;
  for (size_t i = 0; i < plot.x.size(); ++i) {
    if (std::isfinite(plot.x[i]) && std::isfinite(plot.y[i])) {
      x.push_back(plot.x[i]);
      y.push_back(plot.y[i]);
    }
  }
  plcol0(kFirstSeries);
  plssym(0, 0.6);
  if (!x.empty()) plpoin(static_cast<PLINT>(x.size()), x.data(), y.data(), 4);
  plcol0(kInk);
  plbox("bcnst", 0, 0, "bcnstv", 0, 0);
  title_and_axis_labels(plot.title, plot.x_label, 3.0, plot.y_label);
  if (plot.diagonal) legend({{plot.diagonal_name, LegendEntry::kDashedLine, kInk}});
  return canvas.finish(plot.title);
}

}  // namespace emofuse::report
