# The libraries applications link, made from the layers' own objects (compiled once):
#
#   libxdphints_core  lib/: BTF, hint-struct discovery, relocation by name, the Decoder.
#                     Pure: usable without privileges, a kernel with AF_XDP or libxdp.
#   libxdphints       hints-hook/, af_xdp/, receiver/ and, hidden inside, edge/.
#
# Two libraries, not one per layer: hints-hook/ and af_xdp/ both stand on edge/, the
# internal kernel-edge toolkit, whose symbols must not be exported; in one library edge/
# stays hidden, in separate ones it would be ABI. The core is separate because its users
# (offline layout tools, pcap readers) need none of the rest. Each is shared (SONAME
# lib*.so.0.2: before 1.0 every minor release may change the ABI) and static.
#
# CMake targets, the same in the build tree, as a subproject and installed:
#   xdphints::core        libxdphints_core (shared)
#   xdphints::xdphints    libxdphints + core (shared): everything, <xdphints/xdphints.hpp>
#   xdphints::hook        the hints hooks     } both in libxdphints: the names say which
#   xdphints::afxdp       the AF_XDP layer    } layer a program uses
#   xdphints::core_static, xdphints::xdphints_static   the static libraries
#   xdphints::bpf         BPF-side headers (xdp_hints/hints.h, helpers.bpf.h) for XDP programs
set(XDPHINTS_SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})

foreach(kind shared static)
  string(TOUPPER ${kind} KIND)
  if(kind STREQUAL shared)
    set(suffix "")
  else()
    set(suffix _static)
  endif()

  add_library(xdphints_core_${kind} ${KIND} $<TARGET_OBJECTS:xdphints_core>)
  add_dependencies(xdphints_core_${kind} xdphints_core)
  set_target_properties(xdphints_core_${kind} PROPERTIES OUTPUT_NAME xdphints_core EXPORT_NAME core${suffix})
  target_include_directories(xdphints_core_${kind} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/lib/include>
    $<BUILD_INTERFACE:${XDPHINTS_GENERATED_INCLUDE}>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(xdphints_core_${kind} PRIVATE PkgConfig::LIBBPF PkgConfig::LIBELF fmt::fmt)

  add_library(xdphints_${kind} ${KIND}
    $<TARGET_OBJECTS:xdphints_edge> $<TARGET_OBJECTS:xdphints_hook>
    $<TARGET_OBJECTS:xdphints_afxdp> $<TARGET_OBJECTS:xdphints_receiver>)
  add_dependencies(xdphints_${kind} xdphints_edge xdphints_hook xdphints_afxdp xdphints_receiver)
  set_target_properties(xdphints_${kind} PROPERTIES OUTPUT_NAME xdphints EXPORT_NAME xdphints${suffix})
  target_include_directories(xdphints_${kind} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/hints-hook/include>
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/af_xdp/include>
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/receiver/include>
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/edge/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  # <xdphints/af_xdp/queues.hpp> runs std::thread: Threads is public.
  target_link_libraries(xdphints_${kind} PUBLIC xdphints_core_${kind} Threads::Threads
    PRIVATE PkgConfig::LIBBPF PkgConfig::LIBXDP fmt::fmt)
endforeach()

foreach(lib xdphints_core_shared xdphints_shared)
  set_target_properties(${lib} PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${XDPHINTS_SOVERSION})
  # Every symbol resolved at link time: a library that links is complete.
  target_link_options(${lib} PRIVATE -Wl,--no-undefined)
endforeach()

add_library(xdphints_hook_layer INTERFACE)
add_library(xdphints_afxdp_layer INTERFACE)
set_target_properties(xdphints_hook_layer PROPERTIES EXPORT_NAME hook)
set_target_properties(xdphints_afxdp_layer PROPERTIES EXPORT_NAME afxdp)
target_link_libraries(xdphints_hook_layer INTERFACE xdphints_shared)
target_link_libraries(xdphints_afxdp_layer INTERFACE xdphints_shared)

add_library(xdphints_bpf_api INTERFACE)
set_target_properties(xdphints_bpf_api PROPERTIES EXPORT_NAME bpf)
target_include_directories(xdphints_bpf_api INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/bpf/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

# The package's names for add_subdirectory users.
add_library(xdphints::core ALIAS xdphints_core_shared)
add_library(xdphints::xdphints ALIAS xdphints_shared)
add_library(xdphints::core_static ALIAS xdphints_core_static)
add_library(xdphints::xdphints_static ALIAS xdphints_static)
add_library(xdphints::hook ALIAS xdphints_hook_layer)
add_library(xdphints::afxdp ALIAS xdphints_afxdp_layer)
add_library(xdphints::bpf ALIAS xdphints_bpf_api)

set(XDPHINTS_PACKAGE_TARGETS xdphints_core_shared xdphints_shared xdphints_core_static xdphints_static
  xdphints_hook_layer xdphints_afxdp_layer xdphints_bpf_api)
# find_package(xdphints) from the build tree (CMAKE_PREFIX_PATH=<build> or xdphints_DIR).
export(TARGETS ${XDPHINTS_PACKAGE_TARGETS} NAMESPACE xdphints:: FILE ${PROJECT_BINARY_DIR}/xdphints-targets.cmake)
