# cmake/Layers.cmake - the layering rule, enforced by include paths.
#
# Basalt's targets form one chain, lowest first:
#     core -> mm -> sched -> dev -> fs -> kernel (basalt.elf)
# and a target may include its own headers and those of the targets below
# it, never above (include/uapi, the Linux ABI, sits below them all).
# basalt_layer(TARGET LAYER) gives TARGET one include directory,
# <build>/layers/LAYER, holding links to exactly the include/<layer>
# folders LAYER may use, so `#include <dev/pci.h>` in core fails to
# compile. test/layering/check_layers.py checks the same rule on every
# file (headers the build never compiles too) and looks for cycles.
set(BASALT_LAYERS uapi core mm sched dev fs kernel)

function(basalt_layer target layer)
    list(FIND BASALT_LAYERS "${layer}" top)
    if(top LESS 1)
        message(FATAL_ERROR "basalt_layer: unknown layer '${layer}' (one of ${BASALT_LAYERS})")
    endif()
    set(view "${PROJECT_BINARY_DIR}/layers/${layer}")
    file(MAKE_DIRECTORY "${view}")
    foreach(i RANGE 0 ${top})
        list(GET BASALT_LAYERS ${i} below)
        # linked even before the folder exists (fs, uapi), so a header
        # added there later is found without reconfiguring
        file(CREATE_LINK "${PROJECT_SOURCE_DIR}/include/${below}" "${view}/${below}" SYMBOLIC)
    endforeach()
    target_include_directories(${target} PRIVATE "${view}" "${PROJECT_BINARY_DIR}/include")
endfunction()
