# Which headers a library exports. Every library under src/<component>/ lists its public headers;
# everything else in the directory is private to it, and the compiler enforces that:
#
#   lambench_public_headers(<target> <header>...)
#       Consumers of <target> (target_link_libraries) see only the listed headers, as
#       "<component>/<header>", through ${CMAKE_BINARY_DIR}/lambench-headers/public/<target>/
#       (a symbolic link per header to the source file). The library itself compiles with its own
#       directory as "<component>/..." through .../private/<target>/<component> (a link to the
#       source directory), never with all of src/ on its path. A public header may include only
#       public headers: its own component's by the same name, and those of the libraries <target>
#       links PUBLIC.
#
#   lambench_private_headers(<consumer> <target>...)
#       White-box users of a library's internals (its own tests, fuzz targets, perf probes) get
#       the library's private directory explicitly.
#
#   lambench_public_include_dir(<target> <out-var>)
#       The public directory, for code that uses a header-only public piece without linking the
#       library (the runtime client, the items functions).
#
# A component including another component's private header fails to compile ("No such file").
include_guard(GLOBAL)

set(LAMBENCH_HEADERS_DIR ${CMAKE_BINARY_DIR}/lambench-headers)

function(lambench_public_include_dir target out)
  set(${out} ${LAMBENCH_HEADERS_DIR}/public/${target} PARENT_SCOPE)
endfunction()

function(lambench_public_headers target)
  get_filename_component(component ${CMAKE_CURRENT_SOURCE_DIR} NAME)
  set(public ${LAMBENCH_HEADERS_DIR}/public/${target})
  set(private ${LAMBENCH_HEADERS_DIR}/private/${target})
  # Rebuilt at each configure, so a header dropped from the list disappears from the tree.
  file(REMOVE_RECURSE ${public} ${private})
  file(MAKE_DIRECTORY ${public}/${component} ${private})
  foreach(header IN LISTS ARGN)
    if(NOT EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${header})
      message(FATAL_ERROR "lambench_public_headers(${target}): no ${header} in ${CMAKE_CURRENT_SOURCE_DIR}")
    endif()
    file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR}/${header} ${public}/${component}/${header} SYMBOLIC)
  endforeach()
  file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR} ${private}/${component} SYMBOLIC)
  target_include_directories(${target} INTERFACE $<BUILD_INTERFACE:${public}>
                                       PRIVATE $<BUILD_INTERFACE:${private}>)
  set_property(TARGET ${target} PROPERTY LAMBENCH_PRIVATE_INCLUDE_DIR ${private})
endfunction()

function(lambench_private_headers consumer)
  foreach(target IN LISTS ARGN)
    get_target_property(dir ${target} LAMBENCH_PRIVATE_INCLUDE_DIR)
    if(NOT dir)
      message(FATAL_ERROR "lambench_private_headers(${consumer}): ${target} declares no headers")
    endif()
    target_include_directories(${consumer} PRIVATE ${dir})
  endforeach()
endfunction()
