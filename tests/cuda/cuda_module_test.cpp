// The cuda provider is a module opened only when cuda is requested (cuda_module.h): a process
// that never asks maps no cuBLAS (210 MB at load), and a missing module is a clear reason, not a
// crash. The mapping checks run in a fresh process (a threadsafe death test re-executes the
// binary), since other tests in this one may have asked for cuda already.
#include "onnx_runtime/providers/cuda/cuda_module.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "onnx_runtime/execution_provider.h"

namespace bog::runtime::testing {
namespace {

bool maps_cublas() {
  std::ifstream maps("/proc/self/maps");
  std::stringstream all;
  all << maps.rdbuf();
  return all.str().find("libcublas") != std::string::npos;
}

// Exits 0 when cuBLAS appears only after cuda is requested (and only in a build with CUDA).
[[noreturn]] void check_mappings_in_this_process() {
  const auto fail = [](const char* what) {
    std::fprintf(stderr, "%s\n", what);
    std::_Exit(1);
  };
  if (maps_cublas()) fail("cuBLAS is mapped before anything asked for cuda");
  (void)make_provider("cpu");
  (void)make_provider("reference");
  if (maps_cublas()) fail("cuBLAS is mapped by a cpu-only process");
  const auto cuda = make_provider("cuda");
#ifdef BOG_HAVE_CUDA
  if (loaded_cuda_module().empty()) fail(cuda->unavailable_reason().c_str());
  if (!maps_cublas()) fail("the cuda module was opened but cuBLAS is not mapped");
#else
  if (cuda->unavailable_reason().rfind("not built", 0) != 0) fail("no 'not built' reason");
#endif
  std::_Exit(0);
}

TEST(CudaModule, CublasIsMappedOnlyOnceCudaIsRequested) {
  if (!std::ifstream("/proc/self/maps")) GTEST_SKIP() << "no /proc/self/maps here";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(check_mappings_in_this_process(), ::testing::ExitedWithCode(0), "");
}

TEST(CudaModule, AMissingModuleIsTheReasonCudaCannotRun) {
  const char* before = std::getenv("BOG_CUDA_MODULE");
  const std::string saved = before != nullptr ? before : "";
  setenv("BOG_CUDA_MODULE", "no-such-dir/libbog_cuda.so", 1);
  const auto cuda = make_provider("cuda");
  if (before != nullptr) {
    setenv("BOG_CUDA_MODULE", saved.c_str(), 1);
  } else {
    unsetenv("BOG_CUDA_MODULE");
  }
  EXPECT_FALSE(cuda->available());
  const std::string why = cuda->unavailable_reason();
#ifdef BOG_HAVE_CUDA
  EXPECT_NE(why.find("module libbog_cuda.so could not be loaded"), std::string::npos) << why;
  EXPECT_NE(why.find("no-such-dir/libbog_cuda.so (absent)"), std::string::npos) << why;
#else
  EXPECT_EQ(why.rfind("not built", 0), 0u) << why;
#endif
  EXPECT_FALSE(cuda->claims(Node{}));
}

}  // namespace
}  // namespace bog::runtime::testing
