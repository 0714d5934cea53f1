// Reading options from YAML with validation: every key read with its default, type errors and
// unknown keys reported with the option's full name (mlpack habit: validate before any work).
#pragma once

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <vector>

#include "core/error.h"

namespace emofuse {

/// Reads a YAML file; throws DataError naming the file (and line, on a syntax error).
YAML::Node load_yaml_file(const std::string& path);

/// The shortest text that reads back as exactly `value` (std::to_chars): 0.2 -> "0.2",
/// 1e-3 -> "0.001", 1e-7 -> "1.0e-07". A mantissa without a point gets ".0" so that YAML 1.1
/// readers (PyYAML) also see a number; ".inf", "-.inf" and ".nan" as yaml-cpp writes them.
std::string short_double_text(double value);

/// A copy of `node` in which every scalar that yaml-cpp wrote for a double (17 significant
/// digits: 0.2 is stored as "0.20000000000000001") is replaced by short_double_text of the same
/// double ("0.2"), so a file written from it reads back exactly and reads well. Scalars a user
/// typed ("1e-3", "0.5"), integers and strings are kept as they are. Apply it to a tree built by
/// assigning doubles (a resolved configuration) before writing it out.
YAML::Node with_short_floats(const YAML::Node& node);

class OptionReader {
 public:
  /// `node` may be null/undefined (all defaults); `prefix` names it in errors, e.g. "model.options".
  OptionReader(YAML::Node node, std::string prefix);

  /// Value of `key`, or `fallback` when absent. Throws OptionError on a value of the wrong type.
  template <typename T>
  T get(const std::string& key, const T& fallback) {
    known_.insert(key);
    if (!node_.IsDefined() || node_.IsNull() || !node_[key]) return fallback;
    try {
      return node_[key].as<T>();
    } catch (const YAML::Exception&) {
      throw OptionError(full(key), "cannot read '" + YAML::Dump(node_[key]) + "' as " + type_name<T>());
    }
  }
  /// Raw node of `key` (undefined when absent), marking it known.
  YAML::Node node(const std::string& key);
  bool has(const std::string& key) const;
  /// Throws OptionError for the first key that was never read, listing the known keys.
  void finish() const;
  std::string full(const std::string& key) const { return prefix_.empty() ? key : prefix_ + "." + key; }

 private:
  template <typename T>
  static std::string type_name();
  YAML::Node node_;
  std::string prefix_;
  std::set<std::string> known_;
};

template <typename T>
std::string OptionReader::type_name() {
  if constexpr (std::is_same_v<T, bool>) return "a boolean";
  else if constexpr (std::is_integral_v<T>) return "an integer";
  else if constexpr (std::is_floating_point_v<T>) return "a number";
  else if constexpr (std::is_same_v<T, std::string>) return "a string";
  else return "a list";
}

}  // namespace emofuse
