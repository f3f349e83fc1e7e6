# The third-party libraries as the project's targets link them: tp0_ext::yaml,
# tp0_ext::inih, tp0_ext::spdlog and tp0_ext::openssl. With TP0_STATIC_LIBS they are the static archives
# (spdlog and fmt compiled in from their headers), otherwise the shared libraries.

add_library(tp0_ext_yaml INTERFACE)
add_library(tp0_ext::yaml ALIAS tp0_ext_yaml)
add_library(tp0_ext_inih INTERFACE)
add_library(tp0_ext::inih ALIAS tp0_ext_inih)
add_library(tp0_ext_spdlog INTERFACE)
add_library(tp0_ext::spdlog ALIAS tp0_ext_spdlog)
# OpenSSL's targets are the archives or the shared libraries as OPENSSL_USE_STATIC_LIBS
# chose; the archives need the dynamic loader's and the threads' libraries too.
add_library(tp0_ext_openssl INTERFACE)
add_library(tp0_ext::openssl ALIAS tp0_ext_openssl)
target_link_libraries(tp0_ext_openssl INTERFACE OpenSSL::SSL OpenSSL::Crypto ${CMAKE_DL_LIBS} Threads::Threads)

if(TP0_STATIC_LIBS)
  find_library(TP0_YAML_CPP_ARCHIVE NAMES libyaml-cpp.a REQUIRED)
  find_library(TP0_INIH_ARCHIVE NAMES libinih.a REQUIRED)
  target_link_libraries(tp0_ext_yaml INTERFACE ${TP0_YAML_CPP_ARCHIVE})
  target_include_directories(tp0_ext_yaml INTERFACE
    $<TARGET_PROPERTY:yaml-cpp,INTERFACE_INCLUDE_DIRECTORIES>)
  target_link_libraries(tp0_ext_inih INTERFACE ${TP0_INIH_ARCHIVE})
  target_include_directories(tp0_ext_inih INTERFACE ${INIH_INCLUDE_DIRS})
  # spdlog's header-only form, on fmt's header-only form: nothing of either is loaded.
  target_compile_definitions(tp0_ext_spdlog INTERFACE SPDLOG_FMT_EXTERNAL)
  target_include_directories(tp0_ext_spdlog INTERFACE
    $<TARGET_PROPERTY:spdlog::spdlog_header_only,INTERFACE_INCLUDE_DIRECTORIES>)
  target_link_libraries(tp0_ext_spdlog INTERFACE fmt::fmt-header-only Threads::Threads)
else()
  target_link_libraries(tp0_ext_yaml INTERFACE yaml-cpp)
  target_link_libraries(tp0_ext_inih INTERFACE PkgConfig::INIH)
  target_link_libraries(tp0_ext_spdlog INTERFACE spdlog::spdlog fmt::fmt)
endif()

# tp0_program(<target>): the runtime linking every program gets.
function(tp0_program target)
  tp0_configure_target(${target})
  if(TP0_STATIC_LIBS)
    target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
  endif()
endfunction()
