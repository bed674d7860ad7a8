# BOG_CUDA=AUTO|ON|OFF -> BOG_CUDA_BUILT. Enables the CUDA language (sm_80, sm_90 and PTX for
# newer GPUs) and finds the toolkit; ON without a toolkit is a configure error.
set(BOG_CUDA_BUILT OFF)
if(NOT BOG_CUDA MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "BOG_CUDA must be AUTO, ON or OFF, got '${BOG_CUDA}'")
endif()
if(NOT BOG_CUDA STREQUAL "OFF")
  # The toolkit's standard place, when nvcc is not on PATH and CUDACXX is unset.
  if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX} AND EXISTS /usr/local/cuda/bin/nvcc)
    set(ENV{CUDACXX} /usr/local/cuda/bin/nvcc)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      # A100 (sm_80), H100/H200 (sm_90) as machine code; compute_90 PTX JIT-compiles for newer.
      set(CMAKE_CUDA_ARCHITECTURES 80-real 90-real 90-virtual)
    endif()
    if(NOT CMAKE_CUDA_HOST_COMPILER)
      set(CMAKE_CUDA_HOST_COMPILER ${CMAKE_CXX_COMPILER})
    endif()
    enable_language(CUDA)
    # CMake 3.25 knows no CUDA20 dialect for nvcc; the .cu files need only C++17 (launch.h).
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    if(BOG_CCACHE AND NOT CMAKE_CUDA_COMPILER_LAUNCHER)
      set(CMAKE_CUDA_COMPILER_LAUNCHER ${BOG_CCACHE})
    endif()
    find_package(CUDAToolkit)
  endif()
  if(CMAKE_CUDA_COMPILER AND CUDAToolkit_FOUND AND TARGET CUDA::cublas)
    set(BOG_CUDA_BUILT ON)
    # The provider is a module opened at run time (onnx_runtime/CMakeLists.txt); its references
    # to the runtime resolve against the executable, which must export its symbols for that.
    set(CMAKE_ENABLE_EXPORTS ON)
    message(STATUS "CUDA provider: built (toolkit ${CUDAToolkit_VERSION}, "
                   "architectures ${CMAKE_CUDA_ARCHITECTURES})")
  elseif(BOG_CUDA STREQUAL "ON")
    message(FATAL_ERROR "BOG_CUDA=ON but no usable CUDA toolkit was found (nvcc: "
                        "'${CMAKE_CUDA_COMPILER}', cuBLAS: ${CUDAToolkit_FOUND}). Install the "
                        "toolkit, point CUDACXX at nvcc, or configure with -DBOG_CUDA=AUTO or OFF.")
  else()
    message(STATUS "CUDA provider: not built (no CUDA toolkit found; BOG_CUDA=AUTO)")
  endif()
else()
  message(STATUS "CUDA provider: not built (BOG_CUDA=OFF)")
endif()
