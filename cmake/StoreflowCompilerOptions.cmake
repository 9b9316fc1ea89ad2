# Warnings and sanitizers shared by every storeflow target (interface target).
add_library(storeflow_options INTERFACE)
target_compile_options(storeflow_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-missing-field-initializers)

if(STOREFLOW_SANITIZE)
  set(_san -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_compile_options(storeflow_options INTERFACE ${_san})
  target_link_options(storeflow_options INTERFACE ${_san})
endif()
