#include "core/options.h"

namespace emofuse {

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
