# cmake --install / make package: what an application or a distribution consumes.
#
#   component runtime (package xdp-hints):       the CLI, its man page, the shared libraries
#   component dev     (package libxdphints-dev): headers (ours and the BPF side), static
#                     libraries, the .so links, the CMake package, pkg-config files
include(CMakePackageConfigHelpers)

set(XDPHINTS_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/xdphints)

install(TARGETS xdphints_core_shared xdphints_shared EXPORT xdphints-targets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev)
install(TARGETS xdphints_core_static xdphints_static xdphints_hook_layer xdphints_afxdp_layer xdphints_bpf_api
  EXPORT xdphints-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(EXPORT xdphints-targets NAMESPACE xdphints:: DESTINATION ${XDPHINTS_CMAKE_DIR} COMPONENT dev)

# Public headers: the layers' include/ trees and the umbrella. Of edge/ (internal) only the
# headers public classes hold members of: UniqueFd (fd.hpp), Ethtool (ethtool.hpp), Phc
# (ptp.hpp).
foreach(dir lib/include hints-hook/include af_xdp/include receiver/include include)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
    FILES_MATCHING PATTERN "*.hpp")
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/edge/include/xdphints/edge/fd.hpp
              ${PROJECT_SOURCE_DIR}/edge/include/xdphints/edge/ethtool.hpp
              ${PROJECT_SOURCE_DIR}/edge/include/xdphints/edge/ptp.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/xdphints/edge COMPONENT dev)
install(FILES ${XDPHINTS_GENERATED_INCLUDE}/xdphints/export.hpp ${XDPHINTS_GENERATED_INCLUDE}/xdphints/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/xdphints COMPONENT dev)
# For XDP program authors: the stable hint structs and xdp_hints_get() & co.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/bpf/include/xdp_hints DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)

# The CMake package; the same config file serves the build tree (export() beside it).
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/templates/xdphints-config.cmake.in
  ${PROJECT_BINARY_DIR}/xdphints-config.cmake INSTALL_DESTINATION ${XDPHINTS_CMAKE_DIR})
# 0.x: a minor release may break the API, so 0.2 accepts 0.2.* only.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/xdphints-config-version.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/xdphints-config.cmake ${PROJECT_BINARY_DIR}/xdphints-config-version.cmake
  DESTINATION ${XDPHINTS_CMAKE_DIR} COMPONENT dev)

# pkg-config files, written at install time so that `cmake --install --prefix P` and CPack
# (which installs into /usr) get their own prefix. libdir and includedir are relative to it
# unless CMAKE_INSTALL_LIBDIR/INCLUDEDIR are absolute.
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(XDPHINTS_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(XDPHINTS_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
foreach(pc xdphints xdphints-core)
  file(READ ${PROJECT_SOURCE_DIR}/cmake/templates/${pc}.pc.in pc_text)
  string(CONFIGURE "${pc_text}" pc_text @ONLY) # everything but %XDPHINTS_PREFIX%
  file(WRITE ${PROJECT_BINARY_DIR}/pkgconfig/${pc}.pc.in "${pc_text}")
  install(CODE "
    file(READ \"${PROJECT_BINARY_DIR}/pkgconfig/${pc}.pc.in\" pc_text)
    string(REPLACE \"%XDPHINTS_PREFIX%\" \"\${CMAKE_INSTALL_PREFIX}\" pc_text \"\${pc_text}\")
    file(WRITE \"${PROJECT_BINARY_DIR}/pkgconfig/${pc}.pc\" \"\${pc_text}\")" COMPONENT dev)
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
endforeach()

# The man page gzipped as Debian policy says: -9, and -n (no name, no time stamp) so that
# the package is reproducible.
find_program(XDPHINTS_GZIP gzip REQUIRED)
set(man ${PROJECT_BINARY_DIR}/man/xdp-hints.1.gz)
add_custom_command(OUTPUT ${man}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
  COMMAND sh -c "\"$0\" -9n -c \"$1\" >\"$2\"" ${XDPHINTS_GZIP} ${PROJECT_SOURCE_DIR}/docs/xdp-hints.1 ${man}
  DEPENDS ${PROJECT_SOURCE_DIR}/docs/xdp-hints.1 VERBATIM)
add_custom_target(xdphints-man ALL DEPENDS ${man})
install(FILES ${man} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT runtime)

# make package: two Debian packages (CPack DEB).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME xdp-hints)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "XDP RX metadata (hints) for AF_XDP applications")
set(CPACK_PACKAGE_CONTACT "xdp-hints maintainers <xdp-hints@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME xdp-hints)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION net)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "XDP RX metadata (hints) for AF_XDP applications
 The xdp-hints command (probe, layout, dump, demo, reset) and the shared libraries
 libxdphints and libxdphints_core: per-driver hints hooks, BTF-relocated hint layouts
 and an AF_XDP receive path that hands each frame over with its typed hints.")
# Depends from the ELF files (dpkg-shlibdeps): libbpf1, libxdp1, libelf1, libfmt9, libc6...
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY "=")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libxdphints-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DESCRIPTION "XDP RX metadata (hints) for AF_XDP applications: development files
 Headers (<xdphints/xdphints.hpp>, the BPF-side xdp_hints/hints.h and helpers.bpf.h),
 static libraries, the CMake package (find_package(xdphints)) and pkg-config files
 (xdphints, xdphints-core).")
# Exactly this build's runtime, and what the headers, the CMake config and the static
# libraries need.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "xdp-hints (= ${PROJECT_VERSION}-1), libbpf-dev (>= 1:1.1), libxdp-dev (>= 1.3), libelf-dev, libfmt-dev, pkg-config")
include(CPack)
