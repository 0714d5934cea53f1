#include "core/options.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>

namespace emofuse {
namespace {

// The text yaml-cpp's convert<double>::encode writes for `value` (max_digits10 significant
// digits, %g style; .inf/.nan spelled the YAML way).
std::string yaml_cpp_double_text(double value) {
  if (std::isnan(value)) return ".nan";
  if (std::isinf(value)) return value < 0 ? "-.inf" : ".inf";
  std::stringstream stream;
  stream.precision(std::numeric_limits<double>::max_digits10);
  stream << value;
  return stream.str();
}

void shorten_floats_in_place(YAML::Node node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      for (auto kv : node) shorten_floats_in_place(kv.second);
      break;
    case YAML::NodeType::Sequence:
      for (auto item : node) shorten_floats_in_place(item);
      break;
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      double value = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error != std::errc() || end != text.data() + text.size()) break;  // not a plain number
      if (text != yaml_cpp_double_text(value)) break;                       // typed by a user: keep
      const auto shorter = short_double_text(value);
      if (shorter != text) node = shorter;  // assigns the scalar in place
      break;
    }
    default:
      break;
  }
}

}  // namespace

std::string short_double_text(double value) {
  if (!std::isfinite(value)) return yaml_cpp_double_text(value);
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);  // shortest round trip
  std::string text(buffer, result.ptr);
  const auto e = text.find('e');
  if (e != std::string::npos && text.find('.') == std::string::npos) text.insert(e, ".0");
  return text;
}

YAML::Node with_short_floats(const YAML::Node& node) {
  YAML::Node copy = YAML::Clone(node);
  shorten_floats_in_place(copy);
  return copy;
}

YAML::Node load_yaml_file(const std::string& path) {
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw DataError(path, "", "cannot open file");
  } catch (const YAML::Exception& e) {
    throw DataError(path, "line " + std::to_string(e.mark.line + 1), e.msg);
  }
}

OptionReader::OptionReader(YAML::Node node, std::string prefix) : node_(node), prefix_(std::move(prefix)) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
    throw OptionError(prefix_, "expected a mapping of key: value");
  }
}

YAML::Node OptionReader::node(const std::string& key) {
  known_.insert(key);
  if (!node_.IsDefined() || node_.IsNull() || !node_[key]) return YAML::Node(YAML::NodeType::Undefined);
  return node_[key];
}

bool OptionReader::has(const std::string& key) const {
  return node_.IsDefined() && node_.IsMap() && node_[key];
}

void OptionReader::renamed(const std::string& old_key, const std::string& new_key) const {
  if (has(old_key)) throw OptionError(full(old_key), "renamed to '" + new_key + "'; write " + full(new_key));
}

void OptionReader::finish() const {
  if (!node_.IsDefined() || !node_.IsMap()) return;
  for (const auto& kv : node_) {
    const auto key = kv.first.as<std::string>();
    if (!known_.count(key)) {
      std::string list;
      for (const auto& k : known_) list += (list.empty() ? "" : ", ") + k;
      throw OptionError(full(key), "unknown option; known: " + list);
    }
  }
}

}  // namespace emofuse
