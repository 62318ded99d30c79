# Compiling BPF C into objects and bpftool skeletons.
#
#   xdphints_bpf_object(<name> SOURCE <file.bpf.c> [DEFINES A=1 ...] [INCLUDES dir ...])
#
# produces ${CMAKE_CURRENT_BINARY_DIR}/<name>.bpf.o and <name>.skel.h, and a target
# <name>_skel (INTERFACE, carries the include dir of the skeleton). vmlinux.h is generated
# once per build tree from the running kernel's BTF.

find_program(BPF_CLANG NAMES clang-19 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

set(XDPHINTS_VMLINUX_DIR ${CMAKE_BINARY_DIR}/vmlinux)
set(XDPHINTS_VMLINUX_H ${XDPHINTS_VMLINUX_DIR}/vmlinux.h)
if(NOT TARGET xdphints_vmlinux_h)
  add_custom_command(
    OUTPUT ${XDPHINTS_VMLINUX_H}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${XDPHINTS_VMLINUX_DIR}
    COMMAND ${BPFTOOL} btf dump file /sys/kernel/btf/vmlinux format c > ${XDPHINTS_VMLINUX_H}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${XDPHINTS_VMLINUX_H}.tmp ${XDPHINTS_VMLINUX_H}
    COMMENT "Generating vmlinux.h from /sys/kernel/btf/vmlinux"
    VERBATIM)
  add_custom_target(xdphints_vmlinux_h DEPENDS ${XDPHINTS_VMLINUX_H})
endif()

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64")
  set(XDPHINTS_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64")
  set(XDPHINTS_BPF_ARCH arm64)
else()
  set(XDPHINTS_BPF_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

function(xdphints_bpf_object name)
  cmake_parse_arguments(ARG "NO_SKELETON" "SOURCE" "DEFINES;INCLUDES;DEPENDS" ${ARGN})
  get_filename_component(src ${ARG_SOURCE} ABSOLUTE)
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
  set(skel ${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h)
  set(defs)
  foreach(d ${ARG_DEFINES})
    list(APPEND defs -D${d})
  endforeach()
  set(incs -I${XDPHINTS_VMLINUX_DIR} -I${PROJECT_SOURCE_DIR}/bpf/include)
  foreach(i ${ARG_INCLUDES})
    get_filename_component(ia ${i} ABSOLUTE)
    list(APPEND incs -I${ia})
  endforeach()
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BPF_CLANG} -target bpf -g -O2 -Wall -Wno-unused-function
            -D__TARGET_ARCH_${XDPHINTS_BPF_ARCH} ${defs} ${incs} -c ${src} -o ${obj}
    DEPENDS ${src} ${ARG_DEPENDS} xdphints_vmlinux_h ${XDPHINTS_VMLINUX_H}
    IMPLICIT_DEPENDS C ${src}
    COMMENT "BPF ${name}.bpf.o"
    VERBATIM)
  if(ARG_NO_SKELETON)
    add_custom_target(${name}_bpf DEPENDS ${obj})
    return()
  endif()
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${obj}
    COMMENT "Skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${CMAKE_CURRENT_BINARY_DIR})
endfunction()
