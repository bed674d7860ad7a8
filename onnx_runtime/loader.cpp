// File -> onnx::ModelProto -> validated IR. Every check names what is wrong and where; a model
// either loads completely or throws one bog::Error.
#include "onnx_runtime/loader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <spdlog/spdlog.h>

#include <climits>
#include <cstring>
#include <deque>
#include <set>

#include "common/atomic_file.h"
#include "common/error.h"
#include "onnx_runtime/graph_scope.h"
#include "onnx_runtime/tensor_proto.h"

namespace bog::runtime {
namespace fs = std::filesystem;

namespace {

// Newest versions this runtime accepts (the conformance suite's, ONNX 1.23).
constexpr int64_t kMaxIrVersion = 13;
constexpr int kMaxDefaultOpset = 28;
// What Debian's libonnx 1.12 checker can judge.
constexpr int64_t kCheckerMaxIrVersion = 8;
constexpr int kCheckerMaxDefaultOpset = 17;
constexpr int kCheckerMaxMlOpset = 3;
// Subgraphs nest (If inside Loop inside If ...); a bound keeps hostile files from blowing the
// stack.
constexpr int kMaxGraphDepth = 64;

[[noreturn]] void invalid(const std::string& message) {
  throw Error(ErrorCategory::kInvalidModel, message);
}

std::string normalize_domain(const std::string& domain) {
  return domain == "ai.onnx" ? std::string() : domain;
}

struct Converter {
  const fs::path& directory;
  std::map<std::string, int> opsets;
  int depth = 0;

  TypeInfo convert_type(const onnx::TypeProto& type, const std::string& where) {
    TypeInfo info;
    switch (type.value_case()) {
      case onnx::TypeProto::kTensorType: {
        const auto& t = type.tensor_type();
        if (t.elem_type() != 0 && !is_known_dtype(t.elem_type())) {
          invalid(fmt::format("{}: unknown element type {}", where, t.elem_type()));
        }
        info.kind = ValueKind::kTensor;
        info.elem_type = static_cast<DType>(t.elem_type());
        if (t.has_shape()) {
          info.has_shape = true;
          for (const auto& d : t.shape().dim()) {
            Dim dim;
            if (d.has_dim_value()) {
              if (d.dim_value() < 0) {
                invalid(fmt::format("{}: negative dimension {}", where, d.dim_value()));
              }
              dim.value = d.dim_value();
            } else if (d.has_dim_param()) {
              dim.param = d.dim_param();
            }
            info.shape.push_back(std::move(dim));
          }
        }
        return info;
      }
      case onnx::TypeProto::kSequenceType:
        info.kind = ValueKind::kSequence;
        info.element = std::make_shared<TypeInfo>(
            type.sequence_type().has_elem_type()
                ? convert_type(type.sequence_type().elem_type(), where + " (sequence element)")
                : TypeInfo{});
        return info;
      case onnx::TypeProto::kOptionalType:
        info.kind = ValueKind::kOptional;
        info.element = std::make_shared<TypeInfo>(
            type.optional_type().has_elem_type()
                ? convert_type(type.optional_type().elem_type(), where + " (optional element)")
                : TypeInfo{});
        return info;
      case onnx::TypeProto::kMapType:
        throw Error(ErrorCategory::kUnsupported,
                    fmt::format("{}: map types are not supported", where));
      case onnx::TypeProto::kSparseTensorType:
        throw Error(ErrorCategory::kUnsupported,
                    fmt::format("{}: sparse tensor types are not supported", where));
      default:
        // An unset type is legal for value_info-less intermediates; treat it as unknown.
        return info;
    }
  }

  ValueInfo convert_value_info(const onnx::ValueInfoProto& v, const char* role) {
    if (v.name().empty()) invalid(fmt::format("graph {} with an empty name", role));
    return {v.name(), convert_type(v.type(), fmt::format("{} '{}'", role, v.name()))};
  }

  Attribute convert_attribute(const onnx::AttributeProto& a, const std::string& node_where,
                              const std::set<std::string>& scope) {
    Attribute out;
    out.name = a.name();
    const std::string where = fmt::format("{} attribute '{}'", node_where, a.name());
    if (a.name().empty()) invalid(fmt::format("{}: attribute without a name", node_where));
    if (!a.ref_attr_name().empty()) {
      invalid(fmt::format("{} refers to '{}' outside a function", where, a.ref_attr_name()));
    }
    onnx::AttributeProto::AttributeType type = a.type();
    if (type == onnx::AttributeProto::UNDEFINED) {
      // IR version 1 files may leave the type out; infer it from the field that is set.
      if (a.has_f())
        type = onnx::AttributeProto::FLOAT;
      else if (a.has_i())
        type = onnx::AttributeProto::INT;
      else if (a.has_s())
        type = onnx::AttributeProto::STRING;
      else if (a.has_t())
        type = onnx::AttributeProto::TENSOR;
      else if (a.has_g())
        type = onnx::AttributeProto::GRAPH;
      else if (a.floats_size())
        type = onnx::AttributeProto::FLOATS;
      else if (a.ints_size())
        type = onnx::AttributeProto::INTS;
      else if (a.strings_size())
        type = onnx::AttributeProto::STRINGS;
      else if (a.tensors_size())
        type = onnx::AttributeProto::TENSORS;
      else if (a.graphs_size())
        type = onnx::AttributeProto::GRAPHS;
      else
        invalid(fmt::format("{} has no type and no value", where));
    }
    switch (type) {
      case onnx::AttributeProto::FLOAT:
        out.type = Attribute::Type::kFloat;
        out.f = a.f();
        break;
      case onnx::AttributeProto::INT:
        out.type = Attribute::Type::kInt;
        out.i = a.i();
        break;
      case onnx::AttributeProto::STRING:
        out.type = Attribute::Type::kString;
        out.s = a.s();
        break;
      case onnx::AttributeProto::TENSOR:
        out.type = Attribute::Type::kTensor;
        out.t = std::make_shared<Tensor>(tensor_from_proto(a.t(), directory));
        break;
      case onnx::AttributeProto::GRAPH:
        out.type = Attribute::Type::kGraph;
        if (!a.has_g()) invalid(fmt::format("{} of type graph holds no graph", where));
        out.g = std::make_shared<Graph>(convert_graph(a.g(), scope, where));
        break;
      case onnx::AttributeProto::FLOATS:
        out.type = Attribute::Type::kFloats;
        out.floats.assign(a.floats().begin(), a.floats().end());
        break;
      case onnx::AttributeProto::INTS:
        out.type = Attribute::Type::kInts;
        out.ints.assign(a.ints().begin(), a.ints().end());
        break;
      case onnx::AttributeProto::STRINGS:
        out.type = Attribute::Type::kStrings;
        out.strings.assign(a.strings().begin(), a.strings().end());
        break;
      case onnx::AttributeProto::TENSORS:
        out.type = Attribute::Type::kTensors;
        for (const auto& t : a.tensors()) {
          out.tensors.push_back(std::make_shared<Tensor>(tensor_from_proto(t, directory)));
        }
        break;
      case onnx::AttributeProto::GRAPHS:
        out.type = Attribute::Type::kGraphs;
        for (const auto& g : a.graphs()) {
          out.graphs.push_back(std::make_shared<Graph>(convert_graph(g, scope, where)));
        }
        break;
      case onnx::AttributeProto::TYPE_PROTO:
        out.type = Attribute::Type::kTypeProto;
        out.type_proto = convert_type(a.tp(), where);
        break;
      case onnx::AttributeProto::SPARSE_TENSOR:
      case onnx::AttributeProto::SPARSE_TENSORS:
      case onnx::AttributeProto::TYPE_PROTOS:
        throw Error(ErrorCategory::kUnsupported,
                    fmt::format("{}: attribute type {} is not supported", where,
                                onnx::AttributeProto::AttributeType_Name(type)));
      default:
        invalid(fmt::format("{} has unknown type {}", where, static_cast<int>(type)));
    }
    return out;
  }

  // Attribute types are part of each op's schema; libonnx knows the schemas up to opset 17
  // and attribute types never change between versions, so it can judge newer nodes too.
  static void check_attribute_types(const Node& node, const std::string& where) {
    const onnx::OpSchema* schema = nullptr;
    try {
      schema = onnx::OpSchemaRegistry::Schema(node.op_type, node.opset,
                                              node.domain.empty() ? "" : node.domain);
    } catch (const std::exception&) {
      return;
    }
    if (schema == nullptr) return;
    static const std::map<onnx::AttributeProto::AttributeType, Attribute::Type> kTypes = {
        {onnx::AttributeProto::FLOAT, Attribute::Type::kFloat},
        {onnx::AttributeProto::INT, Attribute::Type::kInt},
        {onnx::AttributeProto::STRING, Attribute::Type::kString},
        {onnx::AttributeProto::TENSOR, Attribute::Type::kTensor},
        {onnx::AttributeProto::GRAPH, Attribute::Type::kGraph},
        {onnx::AttributeProto::FLOATS, Attribute::Type::kFloats},
        {onnx::AttributeProto::INTS, Attribute::Type::kInts},
        {onnx::AttributeProto::STRINGS, Attribute::Type::kStrings},
        {onnx::AttributeProto::TENSORS, Attribute::Type::kTensors},
        {onnx::AttributeProto::GRAPHS, Attribute::Type::kGraphs},
        {onnx::AttributeProto::TYPE_PROTO, Attribute::Type::kTypeProto},
    };
    for (const Attribute& a : node.attributes) {
      const auto it = schema->attributes().find(a.name);
      if (it == schema->attributes().end()) continue;
      const auto want = kTypes.find(it->second.type);
      if (want == kTypes.end() || want->second == a.type) continue;
      invalid(fmt::format("{}: attribute '{}' must be of type {}", where, a.name,
                          onnx::AttributeProto::AttributeType_Name(it->second.type)));
    }
  }

  // `outer`: every name the enclosing graphs define, for subgraphs' outer-scope reads.
  Graph convert_graph(const onnx::GraphProto& proto, const std::set<std::string>& outer,
                      const std::string& where) {
    if (++depth > kMaxGraphDepth) {
      invalid(fmt::format("{}: subgraphs nest deeper than {}", where, kMaxGraphDepth));
    }
    Graph g;
    g.name = proto.name();
    g.opsets = opsets;
    if (proto.sparse_initializer_size() > 0) {
      throw Error(ErrorCategory::kUnsupported,
                  fmt::format("graph '{}': sparse initializers are not supported", g.name));
    }
    std::set<std::string> defined;  // names this graph defines
    for (const auto& t : proto.initializer()) {
      if (t.name().empty()) invalid(fmt::format("graph '{}': initializer without a name", g.name));
      if (g.initializers.count(t.name())) {
        invalid(fmt::format("graph '{}': duplicate initializer '{}'", g.name, t.name()));
      }
      g.initializers.emplace(t.name(), tensor_from_proto(t, directory));
      // The weight now lives in the IR: its bytes leave the ModelProto at once, so a model is
      // never held three times (file bytes, proto, tensors) while it loads. The protos
      // converted here all belong to model_from_proto's caller, which owns them mutably.
      // (clear_raw_data() would keep the string's capacity: swap it out to free it.)
      std::string().swap(*const_cast<onnx::TensorProto&>(t).mutable_raw_data());
      defined.insert(t.name());
    }
    for (const auto& v : proto.input()) {
      ValueInfo vi = convert_value_info(v, "input");
      // Before IR 4, initializers were also listed as inputs; that is not a redefinition.
      if (defined.count(vi.name) && !g.initializers.count(vi.name)) {
        invalid(fmt::format("graph '{}': input '{}' is declared twice", g.name, vi.name));
      }
      for (const ValueInfo& prev : g.inputs) {
        if (prev.name == vi.name) {
          invalid(fmt::format("graph '{}': input '{}' is declared twice", g.name, vi.name));
        }
      }
      defined.insert(vi.name);
      g.inputs.push_back(std::move(vi));
    }
    std::set<std::string> output_names;
    for (const auto& v : proto.output()) {
      ValueInfo vi = convert_value_info(v, "output");
      // A subgraph may list one value twice (a Loop body returning it as carried value and as
      // scan output); in the main graph outputs are looked up by name, so names must be unique.
      if (!output_names.insert(vi.name).second && depth == 1) {
        invalid(fmt::format("graph '{}': duplicate output '{}'", g.name, vi.name));
      }
      g.outputs.push_back(std::move(vi));
    }
    for (const auto& v : proto.value_info())
      g.value_infos.push_back(convert_value_info(v, "value_info"));

    // Every value is produced once (SSA); collect producers before converting subgraphs so
    // they can see the whole enclosing scope.
    std::set<std::string> produced;
    for (int i = 0; i < proto.node_size(); ++i) {
      for (const std::string& o : proto.node(i).output()) {
        if (o.empty()) continue;
        if (defined.count(o) || !produced.insert(o).second) {
          invalid(fmt::format("graph '{}': value '{}' is produced more than once (node {} '{}')",
                              g.name, o, proto.node(i).op_type(), proto.node(i).name()));
        }
      }
    }
    std::set<std::string> scope = outer;
    scope.insert(defined.begin(), defined.end());
    scope.insert(produced.begin(), produced.end());

    std::vector<Node> nodes;
    nodes.reserve(static_cast<size_t>(proto.node_size()));
    for (int i = 0; i < proto.node_size(); ++i) {
      const onnx::NodeProto& np = proto.node(i);
      Node n;
      n.name = np.name();
      n.op_type = np.op_type();
      n.domain = normalize_domain(np.domain());
      const std::string node_where =
          fmt::format("node {} '{}'", n.op_type, n.name.empty() ? fmt::format("#{}", i) : n.name);
      if (n.op_type.empty()) invalid(fmt::format("graph '{}': node #{} has no op_type", g.name, i));
      const auto op = opsets.find(n.domain);
      if (op == opsets.end()) {
        invalid(fmt::format("{}: domain '{}' is not imported by the model", node_where, n.domain));
      }
      n.opset = op->second;
      n.inputs.assign(np.input().begin(), np.input().end());
      n.outputs.assign(np.output().begin(), np.output().end());
      for (const std::string& in : n.inputs) {
        if (!in.empty() && !scope.count(in)) {
          invalid(fmt::format("{}: input '{}' is not produced by any node, input or initializer",
                              node_where, in));
        }
      }
      std::set<std::string> attr_names;
      for (const auto& a : np.attribute()) {
        if (!attr_names.insert(a.name()).second) {
          invalid(fmt::format("{}: attribute '{}' appears twice", node_where, a.name()));
        }
        n.attributes.push_back(convert_attribute(a, node_where, scope));
      }
      check_attribute_types(n, node_where);
      nodes.push_back(std::move(n));
    }
    for (const ValueInfo& v : g.outputs) {
      if (!scope.count(v.name)) {
        invalid(
            fmt::format("graph '{}': output '{}' is not produced by any node, input or "
                        "initializer",
                        g.name, v.name));
      }
    }
    g.nodes = topological_order(std::move(nodes), g.name);
    --depth;
    return g;
  }

  // Kahn's algorithm; nodes with no mutual dependency keep their file order. A node depends
  // on the producers of its inputs and of the outer values its subgraphs read.
  static std::vector<Node> topological_order(std::vector<Node> nodes, const std::string& graph) {
    std::map<std::string, size_t> producer;
    for (size_t i = 0; i < nodes.size(); ++i) {
      for (const std::string& o : nodes[i].outputs) {
        if (!o.empty()) producer[o] = i;
      }
    }
    std::vector<std::vector<size_t>> consumers(nodes.size());
    std::vector<size_t> pending(nodes.size(), 0);
    for (size_t i = 0; i < nodes.size(); ++i) {
      std::set<size_t> deps;
      auto depend = [&](const std::string& name) {
        const auto it = producer.find(name);
        if (it != producer.end()) deps.insert(it->second);
      };
      for (const std::string& in : nodes[i].inputs) depend(in);
      for (const std::string& in : implicit_inputs(nodes[i])) depend(in);
      for (const size_t d : deps) consumers[d].push_back(i);
      pending[i] = deps.size();
    }
    std::set<size_t> ready;
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (pending[i] == 0) ready.insert(i);
    }
    std::vector<size_t> order;
    order.reserve(nodes.size());
    while (!ready.empty()) {
      const size_t i = *ready.begin();
      ready.erase(ready.begin());
      order.push_back(i);
      for (const size_t c : consumers[i]) {
        if (--pending[c] == 0) ready.insert(c);
      }
    }
    if (order.size() != nodes.size()) {
      for (size_t i = 0; i < nodes.size(); ++i) {
        if (pending[i] > 0) {
          invalid(fmt::format("graph '{}' has a cycle through node {} '{}'", graph,
                              nodes[i].op_type, nodes[i].name));
        }
      }
    }
    std::vector<Node> sorted;
    sorted.reserve(nodes.size());
    for (const size_t i : order) sorted.push_back(std::move(nodes[i]));
    return sorted;
  }
};

bool uses_external_data(const onnx::GraphProto& g) {
  for (const auto& t : g.initializer()) {
    if (t.data_location() == onnx::TensorProto::EXTERNAL) return true;
  }
  for (const auto& n : g.node()) {
    for (const auto& a : n.attribute()) {
      if (a.has_t() && a.t().data_location() == onnx::TensorProto::EXTERNAL) return true;
      if (a.has_g() && uses_external_data(a.g())) return true;
      for (const auto& sub : a.graphs()) {
        if (uses_external_data(sub)) return true;
      }
    }
  }
  return false;
}

// libonnx 1.12's checker judges what it knows. Its verdict on things newer than itself
// (ops, attributes, IR features) is not a reason to reject a model the runtime can run.
void run_checker(const onnx::ModelProto& proto, const std::map<std::string, int>& opsets) {
  if (proto.ir_version() > kCheckerMaxIrVersion) return;
  for (const auto& [domain, version] : opsets) {
    if (domain.empty() && version > kCheckerMaxDefaultOpset) return;
    if (domain == "ai.onnx.ml" && version > kCheckerMaxMlOpset) return;
  }
  if (uses_external_data(proto.graph())) return;  // checked by our loader, against the model dir
  try {
    onnx::checker::check_model(proto);
  } catch (const onnx::checker::ValidationError& e) {
    const std::string what = e.what();
    std::string first_line = what.substr(0, what.find('\n'));
    // Also tolerated: unsorted nodes, which the loader sorts itself (as ONNX Runtime does).
    for (const char* newer :
         {"No Op registered", "No opset import", "Unrecognized attribute", "is higher than",
          "Unsupported", "not a registered", "topologically sorted"}) {
      if (what.find(newer) != std::string::npos) {
        spdlog::debug("onnx checker (1.12) could not judge the model: {}", first_line);
        return;
      }
    }
    invalid(fmt::format("onnx checker: {}", first_line));
  } catch (const std::exception& e) {
    spdlog::debug("onnx checker failed: {}", e.what());
  }
}

onnx::ModelProto parse_model_proto(std::string_view bytes) {
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    invalid(
        fmt::format("model is {} bytes; protobuf files are limited to 2 GiB (use external "
                    "data for large weights)",
                    bytes.size()));
  }
  onnx::ModelProto proto;
  if (bytes.empty() || !proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    invalid(
        fmt::format("not a valid ONNX model: {} bytes do not parse as onnx.ModelProto "
                    "(truncated or not protobuf)",
                    bytes.size()));
  }
  return proto;
}

// Parses the file as it is read (a protobuf stream over the descriptor), so its bytes are never
// held beside the proto: on the 436 MB BERT-base-size export that was 436 MB more at the peak.
onnx::ModelProto parse_model_file(const fs::path& path) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (ec || !fs::is_regular_file(path, ec)) {
    throw Error(ErrorCategory::kIo,
                fmt::format("cannot read '{}': {}", path.string(),
                            fs::exists(path, ec) ? "not a regular file" : "no such file"));
  }
  if (size > static_cast<uintmax_t>(INT_MAX)) {
    invalid(
        fmt::format("model is {} bytes; protobuf files are limited to 2 GiB (use external "
                    "data for large weights)",
                    size));
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw Error(ErrorCategory::kIo,
                fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno)));
  }
  onnx::ModelProto proto;
  bool parsed = false;
  {
    google::protobuf::io::FileInputStream stream(fd, 1 << 20);
    stream.SetCloseOnDelete(true);
    parsed = size > 0 && proto.ParseFromZeroCopyStream(&stream) && stream.GetErrno() == 0;
  }
  if (!parsed) {
    invalid(
        fmt::format("not a valid ONNX model: {} bytes do not parse as onnx.ModelProto "
                    "(truncated or not protobuf)",
                    size));
  }
  return proto;
}

// Converts `proto` (its initializers' bytes are released as they are converted).
Model model_from_proto(onnx::ModelProto& proto, const fs::path& directory,
                       const LoadOptions& options) {
  if (!proto.has_ir_version() || proto.ir_version() <= 0) {
    invalid("not a valid ONNX model: ir_version is missing");
  }
  if (proto.ir_version() > kMaxIrVersion) {
    throw Error(ErrorCategory::kUnsupported,
                fmt::format("IR version {} is newer than this runtime supports ({})",
                            proto.ir_version(), kMaxIrVersion));
  }
  if (!proto.has_graph()) invalid("not a valid ONNX model: it has no graph");

  Model model;
  model.ir_version = proto.ir_version();
  model.producer_name = proto.producer_name();
  model.producer_version = proto.producer_version();
  model.directory = directory;
  for (const auto& kv : proto.metadata_props()) model.metadata.emplace_back(kv.key(), kv.value());

  std::map<std::string, int> opsets;
  for (const auto& imp : proto.opset_import()) {
    const std::string domain = normalize_domain(imp.domain());
    if (imp.version() < 1 || imp.version() > INT_MAX) {
      invalid(fmt::format("opset import for domain '{}' has invalid version {}", domain,
                          imp.version()));
    }
    if (opsets.count(domain)) {
      invalid(fmt::format("domain '{}' is imported twice", domain));
    }
    opsets[domain] = static_cast<int>(imp.version());
  }
  if (proto.opset_import_size() == 0) {
    // IR version 1/2 files predate opset_import; they mean the default domain at opset 1.
    if (proto.ir_version() >= 3) invalid("model imports no opset (opset_import is empty)");
    opsets[""] = 1;
  }
  if (const auto it = opsets.find(""); it != opsets.end() && it->second > kMaxDefaultOpset) {
    throw Error(ErrorCategory::kUnsupported,
                fmt::format("default-domain opset {} is newer than this runtime supports ({})",
                            it->second, kMaxDefaultOpset));
  }

  if (options.run_checker) run_checker(proto, opsets);

  Converter converter{directory, opsets};
  model.graph = converter.convert_graph(proto.graph(), {}, "main graph");
  if (model.graph.outputs.empty()) invalid("graph has no outputs");
  return model;
}

}  // namespace

Model load_model_from_bytes(std::string_view bytes, const fs::path& directory,
                            const LoadOptions& options) {
  onnx::ModelProto proto = parse_model_proto(bytes);
  return model_from_proto(proto, directory, options);
}

Model load_model(const fs::path& path, const LoadOptions& options) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    throw Error(ErrorCategory::kIo,
                fmt::format("'{}' is a directory, not a model file", path.string()));
  }
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const auto named = [&path](const Error& e) {
    return Error(e.category(), fmt::format("{}: {}", path.filename().string(), e.what()));
  };
  onnx::ModelProto proto;
  try {
    proto = parse_model_file(path);
  } catch (const Error& e) {
    if (e.category() == ErrorCategory::kIo) throw;  // "cannot read '<path>'" names it already
    throw named(e);
  }
  try {
    return model_from_proto(proto, dir, options);
  } catch (const Error& e) {
    throw named(e);
  }
}

}  // namespace bog::runtime
