// Reading options from YAML with validation: every key read with its default, type errors and
// unknown keys reported with the option's full name (mlpack habit: validate before any work).
#pragma once

#include <yaml-cpp/yaml.h>

#include <array>
#include <cstddef>
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

/// One allowed value of an option that is a choice among fixed values: the name a user writes
/// (in YAML, on the command line) and the enum value it stands for. A choice option is an
/// `enum class` in C++ with a table of these, e.g.
///   enum class OtKind { kGw, kSinkhorn, kNone };
///   inline constexpr std::array<Choice<OtKind>, 3> kOtKinds{{{"gw", OtKind::kGw}, ...}};
/// parsed once with parse_choice and written back with choice_name.
template <typename Enum>
struct Choice {
  const char* name;
  Enum value;
};

/// The names of `table` in order, as "a, b or c".
template <typename Enum, std::size_t N>
std::string choice_names(const std::array<Choice<Enum>, N>& table) {
  std::string list;
  for (std::size_t i = 0; i < N; ++i) {
    if (i > 0) list += i + 1 == N ? " or " : ", ";
    list += table[i].name;
  }
  return list;
}

/// The value named `text` in `table`; throws OptionError naming `field` and listing the allowed
/// names otherwise ("option 'model.options.ot': expected gw, sinkhorn or none, got 'GW'").
template <typename Enum, std::size_t N>
Enum parse_choice(const std::string& text, const std::string& field, const std::array<Choice<Enum>, N>& table) {
  for (const auto& choice : table) {
    if (text == choice.name) return choice.value;
  }
  throw OptionError(field, "expected " + choice_names(table) + ", got '" + text + "'");
}

/// Throws OptionError naming `field` unless `value` is one of `table` (an enum value made by a
/// cast from an integer is not).
template <typename Enum, std::size_t N>
void check_choice(Enum value, const std::string& field, const std::array<Choice<Enum>, N>& table) {
  for (const auto& choice : table) {
    if (choice.value == value) return;
  }
  throw OptionError(field, "not one of " + choice_names(table) + " (enum value " +
                               std::to_string(static_cast<long long>(value)) + ")");
}

/// The name of `value` in `table`, as parse_choice reads it back. Throws OptionError (field
/// "choice") for a value outside the table.
template <typename Enum, std::size_t N>
std::string choice_name(Enum value, const std::array<Choice<Enum>, N>& table) {
  for (const auto& choice : table) {
    if (choice.value == value) return choice.name;
  }
  check_choice(value, "choice", table);  // throws
  return "";
}

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
  /// The choice `key` parsed with parse_choice (message naming the full key), or `fallback`
  /// when absent.
  template <typename Enum, std::size_t N>
  Enum choice(const std::string& key, Enum fallback, const std::array<Choice<Enum>, N>& table) {
    return parse_choice(get<std::string>(key, choice_name(fallback, table)), full(key), table);
  }
  /// Throws OptionError when the mapping has `old_key`, saying it was renamed to `new_key`. Call
  /// before finish(), so the user reads the new name rather than "unknown option".
  void renamed(const std::string& old_key, const std::string& new_key) const;
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
  if constexpr (std::is_same_v<T, bool>)
    return "a boolean";
  else if constexpr (std::is_integral_v<T>)
    return "an integer";
  else if constexpr (std::is_floating_point_v<T>)
    return "a number";
  else if constexpr (std::is_same_v<T, std::string>)
    return "a string";
  else
    return "a list";
}

}  // namespace emofuse
