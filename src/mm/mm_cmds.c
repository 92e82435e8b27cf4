/*
 * src/mm/mm_cmds.c - mm's shell commands: mem (physical frames) and heap
 * (the kmalloc caches).
 *
 * Part of mm. Each command registers itself with SHELL_COMMAND
 * (include/core/shell.h) and prints through core's shell output helpers.
 */
#include <core/shell.h>
#include <core/console.h>
#include <core/format.h>
#include <mm/kmalloc.h>
#include <mm/pmm.h>

#define HEAD    ANSI_BOLD
#define OFF     ANSI_RESET

/* "123.4 MiB" for a number of 4 KiB frames. */
static void frames_mib(char *buf, size_t size, uint64_t frames)
{
    uint64_t tenths = frames * 4096 * 10 / (1024 * 1024);

    snprintf(buf, size, "%llu.%llu MiB", (unsigned long long)(tenths / 10),
             (unsigned long long)(tenths % 10));
}

static int cmd_mem(int argc, char **argv)
{
    struct pmm_stats st = pmm_stats();
    uint64_t used = st.managed_frames - st.free_frames;
    char total[32], freeb[32], usedb[32];

    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    frames_mib(total, sizeof(total), st.managed_frames);
    frames_mib(freeb, sizeof(freeb), st.free_frames);
    frames_mib(usedb, sizeof(usedb), used);
    shell_printf(HEAD "physical memory" OFF " (4 KiB frames)\n");
    shell_printf("  total %10llu frames  %12s\n", (unsigned long long)st.managed_frames, total);
    shell_printf("  free  %10llu frames  %12s\n", (unsigned long long)st.free_frames, freeb);
    shell_printf("  used  %10llu frames  %12s\n", (unsigned long long)used, usedb);
    shell_printf("usable RAM %llu MiB, %llu KiB of it held for kernel and boot data; "
                 "RAM ends at %#llx\n", (unsigned long long)(st.usable_bytes >> 20),
                 (unsigned long long)(st.reserved_bytes >> 10),
                 (unsigned long long)st.highest_ram);
    if (st.bad_frees)
        shell_error("mem: %llu bad frees refused so far", (unsigned long long)st.bad_frees);
    return 0;
}
SHELL_COMMAND("mem", "", "physical memory: total, free and used frames and MiB", cmd_mem);

#define HEAP_MAX_CACHES 64

static int cmd_heap(int argc, char **argv)
{
    static struct kheap_stats st[HEAP_MAX_CACHES];
    size_t n = kheap_stats(st, HEAP_MAX_CACHES);
    uint64_t objects = 0, requested = 0, slabs = 0, large = kheap_large_pages();

    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    shell_printf(HEAD "%-20s %8s %10s %12s %6s" OFF "\n", "cache", "slot", "in use",
                 "bytes asked", "slabs");
    for (size_t i = 0; i < n; i++) {
        shell_printf("%-20s %8zu %10llu %12llu %6llu\n", st[i].name, st[i].object_size,
                     (unsigned long long)st[i].objects_in_use,
                     (unsigned long long)st[i].bytes_requested,
                     (unsigned long long)st[i].slabs);
        objects += st[i].objects_in_use;
        requested += st[i].bytes_requested;
        slabs += st[i].slabs;
    }
    shell_printf("%-20s %8s %10llu %12llu %6llu\n", "total", "",
                 (unsigned long long)objects, (unsigned long long)requested,
                 (unsigned long long)slabs);
    shell_printf("large blocks: %llu pages (%llu KiB); heap errors reported: %llu\n",
                 (unsigned long long)large, (unsigned long long)(large * 4),
                 (unsigned long long)kheap_error_count());
    return 0;
}
SHELL_COMMAND("heap", "", "kernel heap: objects, bytes and slabs per size class", cmd_heap);
