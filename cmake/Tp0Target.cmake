# Per-target build settings: warnings and sanitizers are attached to each of the
# project's own targets, never set globally, so imported libraries stay untouched.

function(tp0_configure_target target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion)
  if(TP0_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(TP0_SANITIZE OR TP0_FUZZ)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined
                                             -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(TP0_FUZZ)
    # Coverage for libFuzzer in every library a fuzzer links; the fuzzers add its runtime.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
endfunction()

# tp0_library(<name> SOURCES ... DEPS ...) creates tp0_<name> with the alias tp0::<name>.
function(tp0_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(tp0_${name} STATIC ${ARG_SOURCES})
  add_library(tp0::${name} ALIAS tp0_${name})
  target_include_directories(tp0_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(tp0_${name} PUBLIC ${ARG_DEPS})
  tp0_configure_target(tp0_${name})
endfunction()

# tp0_test(<name> SOURCES ... DEPS ... [SLOW <pattern>...] [APART <pattern>...]) builds one
# GoogleTest binary and registers each of its tests with ctest. The tests a SLOW pattern (a
# GoogleTest filter) matches take tens of seconds each under the sanitizers: they get the
# label `slow`, which `make check` leaves out and `make test` runs. The tests an APART pattern
# matches are left for the caller to register with properties of their own.
function(tp0_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;SLOW;APART" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    TP0_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  tp0_configure_target(${name})
  include(GoogleTest)
  set(filter "*")
  string(JOIN ":" elsewhere ${ARG_SLOW} ${ARG_APART})
  if(elsewhere)
    set(filter "-${elsewhere}")
  endif()
  gtest_discover_tests(${name} TEST_FILTER "${filter}" DISCOVERY_TIMEOUT 30 PROPERTIES TIMEOUT 300)
  if(ARG_SLOW)
    string(JOIN ":" slow ${ARG_SLOW})
    gtest_discover_tests(${name} TEST_FILTER "${slow}" DISCOVERY_TIMEOUT 30 PROPERTIES LABELS slow TIMEOUT 600)
  endif()
endfunction()

# tp0_header_library(<name> DEPS ...) creates the header-only tp0_<name> with the alias tp0::<name>.
function(tp0_header_library name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  add_library(tp0_${name} INTERFACE)
  add_library(tp0::${name} ALIAS tp0_${name})
  target_include_directories(tp0_${name} INTERFACE ${PROJECT_SOURCE_DIR})
  target_link_libraries(tp0_${name} INTERFACE ${ARG_DEPS})
endfunction()
