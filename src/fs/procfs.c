/*
 * src/fs/procfs.c - the proc file system: read-only files generated in
 * Linux's formats (meminfo, cpuinfo, uptime, loadavg, stat, mounts,
 * filesystems, partitions, diskstats, devices, interrupts, version,
 * cmdline, sys/kernel/..., <id>/..., self) on the shared pseudo-file-system
 * tree; the root is a dynamic directory whose per-thread children follow
 * the scheduler's thread registry.
 *
 * Part of fs; reads core (time, CPUs, IRQ counters, boot command line),
 * mm (pmm), sched (CPU ticks, load, threads), dev (blk) and fs (VFS mounts and
 * types, page and buffer caches). See include/fs/procfs.h.
 */
#include <core/cpu.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/irq.h>
#include <core/multiboot2.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/time.h>
#include <core/tsc.h>
#include <core/walltime.h>
#include <core/x86.h>
#include <dev/blk.h>
#include <fs/bcache.h>
#include <fs/chrdev.h>
#include <fs/pagecache.h>
#include <fs/procfs.h>
#include <fs/pseudo.h>
#include <fs/vfs.h>
#include <generated/version.h>
#include <mm/kmalloc.h>
#include <mm/pmm.h>
#include <sched/sched.h>
#include <sched/thread.h>

#define USER_HZ 100u                    /* the unit of /proc/stat's times (Linux's) */

const char procfs_osrelease[] = BASALT_VERSION "-basalt";

/* ---- meminfo */

static void meminfo_line(struct pseudo_buf *b, const char *name, uint64_t kib)
{
    char label[24];

    snprintf(label, sizeof(label), "%s:", name);
    pseudo_printf(b, "%-15s %8llu kB\n", label, (unsigned long long)kib);
}

static void show_meminfo(struct pseudo_node *n, struct pseudo_buf *b)
{
    struct pmm_stats pm = pmm_stats();
    struct pagecache_stats pc = pagecache_stats();
    struct bcache_stats bc = bcache_stats();
    uint64_t total = pm.managed_frames * 4, free = pm.free_frames * 4;
    uint64_t cached = pc.pages * 4, buffers = bc.bytes / 1024;
    uint64_t reclaimable = (pc.pages - MIN(pc.pages, pc.dirty + pc.writeback + pc.unevictable)) * 4;

    (void)n;
    meminfo_line(b, "MemTotal", total);
    meminfo_line(b, "MemFree", free);
    /* free plus the clean page cache the reclaim hook can drop */
    meminfo_line(b, "MemAvailable", MIN(total, free + reclaimable));
    meminfo_line(b, "Buffers", buffers);
    meminfo_line(b, "Cached", cached);
    meminfo_line(b, "SwapCached", 0);
    meminfo_line(b, "Active", 0);
    meminfo_line(b, "Inactive", 0);
    meminfo_line(b, "Unevictable", pc.unevictable * 4);
    meminfo_line(b, "Mlocked", 0);
    meminfo_line(b, "SwapTotal", 0);
    meminfo_line(b, "SwapFree", 0);
    meminfo_line(b, "Dirty", pc.dirty * 4);
    meminfo_line(b, "Writeback", pc.writeback * 4);
    meminfo_line(b, "AnonPages", 0);
    meminfo_line(b, "Mapped", 0);
    meminfo_line(b, "Shmem", 0);
    meminfo_line(b, "Slab", 0);
    meminfo_line(b, "SReclaimable", 0);
    meminfo_line(b, "SUnreclaim", 0);
    meminfo_line(b, "KernelStack", 0);
    meminfo_line(b, "PageTables", 0);
    meminfo_line(b, "CommitLimit", total);
    meminfo_line(b, "Committed_AS", total - free);
    meminfo_line(b, "VmallocTotal", 0);
    meminfo_line(b, "VmallocUsed", 0);
}

/* ---- cpuinfo */

/* CPUID feature bits by Linux's flag names; NULL: not shown. */
struct flag_word {
    uint32_t leaf, subleaf;
    int reg;                            /* 0 eax, 1 ebx, 2 ecx, 3 edx */
    const char *names[32];
};

static const struct flag_word flag_words[] = {
    { 1, 0, 3, { "fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", NULL,
                 "sep", "mtrr", "pge", "mca", "cmov", "pat", "pse36", "pn", "clflush", NULL,
                 "dts", "acpi", "mmx", "fxsr", "sse", "sse2", "ss", "ht", "tm", "ia64", "pbe" } },
    { 0x80000001, 0, 3, { [11] = "syscall", [19] = "mp", [20] = "nx", [22] = "mmxext",
                          [25] = "fxsr_opt", [26] = "pdpe1gb", [27] = "rdtscp", [29] = "lm",
                          [30] = "3dnowext", [31] = "3dnow" } },
    { 1, 0, 2, { "pni", "pclmulqdq", "dtes64", "monitor", "ds_cpl", "vmx", "smx", "est", "tm2",
                 "ssse3", "cid", "sdbg", "fma", "cx16", "xtpr", "pdcm", NULL, "pcid", "dca",
                 "sse4_1", "sse4_2", "x2apic", "movbe", "popcnt", "tsc_deadline_timer", "aes",
                 "xsave", NULL, "avx", "f16c", "rdrand", "hypervisor" } },
    { 0x80000001, 0, 2, { "lahf_lm", "cmp_legacy", "svm", "extapic", "cr8_legacy", "abm", "sse4a",
                          "misalignsse", "3dnowprefetch", "osvw", "ibs", "xop", "skinit", "wdt",
                          NULL, "lwp", "fma4", "tce", NULL, "nodeid_msr", NULL, "tbm", "topoext",
                          "perfctr_core" } },
    { 7, 0, 1, { "fsgsbase", "tsc_adjust", "sgx", "bmi1", "hle", "avx2", NULL, "smep", "bmi2",
                 "erms", "invpcid", "rtm", NULL, NULL, "mpx", NULL, "avx512f", "avx512dq",
                 "rdseed", "adx", "smap", "avx512ifma", NULL, "clflushopt", "clwb", NULL,
                 "avx512pf", "avx512er", "avx512cd", "sha_ni", "avx512bw", "avx512vl" } },
    { 7, 0, 2, { [1] = "avx512vbmi", [2] = "umip", [3] = "pku", [4] = "ospke", [5] = "waitpkg",
                 [6] = "avx512_vbmi2", [8] = "gfni", [9] = "vaes", [10] = "vpclmulqdq",
                 [11] = "avx512_vnni", [12] = "avx512_bitalg", [14] = "avx512_vpopcntdq",
                 [22] = "rdpid" } },
};

static uint32_t cpuid_reg(struct cpuid_regs r, int reg)
{
    switch (reg) {
    case 0: return r.eax;
    case 1: return r.ebx;
    case 2: return r.ecx;
    default: return r.edx;
    }
}

static void show_cpuinfo(struct pseudo_node *n, struct pseudo_buf *b)
{
    struct cpuid_regs r0 = cpuid(0, 0), r1 = cpuid(1, 0);
    uint32_t max_ext = cpuid(0x80000000, 0).eax;
    char vendor[13], brand[49] = "";
    const char *model_name = "unknown";
    uint32_t family = (r1.eax >> 8) & 0xf, model = (r1.eax >> 4) & 0xf;
    uint32_t phys_bits = 36, virt_bits = 48, cache_kb = 0;
    uint64_t khz = tsc_khz();
    unsigned ncpu = cpu_count();

    (void)n;
    memcpy(vendor, &r0.ebx, 4);
    memcpy(vendor + 4, &r0.edx, 4);
    memcpy(vendor + 8, &r0.ecx, 4);
    vendor[12] = '\0';
    if (family == 0xf)
        family += (r1.eax >> 20) & 0xff;
    if (family >= 6)
        model += ((r1.eax >> 16) & 0xf) << 4;
    if (max_ext >= 0x80000004) {
        for (uint32_t i = 0; i < 3; i++) {
            struct cpuid_regs r = cpuid(0x80000002 + i, 0);
            memcpy(brand + 16 * i, &r, 16);
        }
        brand[48] = '\0';
        model_name = brand;
        while (*model_name == ' ')
            model_name++;
    }
    if (max_ext >= 0x80000006)
        cache_kb = cpuid(0x80000006, 0).ecx >> 16;
    if (max_ext >= 0x80000008) {
        uint32_t a = cpuid(0x80000008, 0).eax;
        phys_bits = a & 0xff;
        virt_bits = (a >> 8) & 0xff;
    }
    for (unsigned i = 0; i < ncpu; i++) {
        struct cpu *c = cpu_get(i);
        uint32_t apic = c ? c->apic_id : i;

        pseudo_printf(b, "processor\t: %u\n", i);
        pseudo_printf(b, "vendor_id\t: %s\n", vendor);
        pseudo_printf(b, "cpu family\t: %u\n", family);
        pseudo_printf(b, "model\t\t: %u\n", model);
        pseudo_printf(b, "model name\t: %s\n", model_name);
        pseudo_printf(b, "stepping\t: %u\n", r1.eax & 0xf);
        pseudo_printf(b, "cpu MHz\t\t: %llu.%03llu\n", (unsigned long long)(khz / 1000),
                      (unsigned long long)(khz % 1000));
        if (cache_kb)
            pseudo_printf(b, "cache size\t: %u KB\n", cache_kb);
        pseudo_printf(b, "physical id\t: 0\nsiblings\t: %u\ncore id\t\t: %u\ncpu cores\t: %u\n",
                      ncpu, i, ncpu);
        pseudo_printf(b, "apicid\t\t: %u\ninitial apicid\t: %u\n", apic, apic);
        pseudo_printf(b, "fpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: %u\nwp\t\t: yes\n",
                      r0.eax);
        pseudo_puts(b, "flags\t\t:");
        for (size_t w = 0; w < ARRAY_SIZE(flag_words); w++) {
            const struct flag_word *fw = &flag_words[w];
            uint32_t max = fw->leaf >= 0x80000000 ? max_ext : r0.eax;
            uint32_t bits;
            if (fw->leaf > max)
                continue;
            bits = cpuid_reg(cpuid(fw->leaf, fw->subleaf), fw->reg);
            for (int bit = 0; bit < 32; bit++)
                if ((bits & (1u << bit)) && fw->names[bit])
                    pseudo_printf(b, " %s", fw->names[bit]);
        }
        pseudo_puts(b, "\nbugs\t\t:\n");
        pseudo_printf(b, "bogomips\t: %llu.%02llu\n", (unsigned long long)(khz * 2 / 1000),
                      (unsigned long long)(khz * 2 / 10 % 100));
        pseudo_printf(b, "clflush size\t: %u\ncache_alignment\t: %u\n",
                      ((r1.ebx >> 8) & 0xff) * 8, ((r1.ebx >> 8) & 0xff) * 8);
        pseudo_printf(b, "address sizes\t: %u bits physical, %u bits virtual\n",
                      phys_bits, virt_bits);
        pseudo_puts(b, "power management:\n\n");
    }
}

/* ---- time and load */

/* Writes ns as seconds with two decimals. */
static void print_secs(struct pseudo_buf *b, uint64_t ns)
{
    uint64_t cs = ns / 10000000ull;
    pseudo_printf(b, "%llu.%02llu", (unsigned long long)(cs / 100), (unsigned long long)(cs % 100));
}

static uint64_t idle_ticks_all(void)
{
    uint64_t idle = 0;

    for (unsigned i = 0; i < cpu_count(); i++)
        idle += sched_cpu_ticks(i).idle;
    return idle;
}

static void show_uptime(struct pseudo_node *n, struct pseudo_buf *b)
{
    (void)n;
    print_secs(b, time_ns());
    pseudo_puts(b, " ");
    print_secs(b, idle_ticks_all() * (1000000000ull / TIME_HZ));
    pseudo_puts(b, "\n");
}

static void print_load(struct pseudo_buf *b, uint64_t v)
{
    uint64_t x = (v * 100 + (1u << (SCHED_LOAD_SHIFT - 1))) >> SCHED_LOAD_SHIFT;
    pseudo_printf(b, "%llu.%02llu ", (unsigned long long)(x / 100), (unsigned long long)(x % 100));
}

static void show_loadavg(struct pseudo_node *n, struct pseudo_buf *b)
{
    uint64_t avg[3];

    (void)n;
    sched_loadavg(avg);
    for (int i = 0; i < 3; i++)
        print_load(b, avg[i]);
    /* running/total scheduling entities, then the last id given (a thread's: see <id>/) */
    pseudo_printf(b, "%u/%u %d\n", sched_nr_running(), thread_count(), sched_last_tid());
}

static uint64_t to_user_hz(uint64_t ticks)
{
    return ticks * USER_HZ / TIME_HZ;
}

static void stat_cpu_line(struct pseudo_buf *b, const char *label, uint64_t busy, uint64_t idle)
{
    pseudo_printf(b, "%s 0 0 %llu %llu 0 0 0 0 0 0\n", label,
                  (unsigned long long)to_user_hz(busy), (unsigned long long)to_user_hz(idle));
}

static void show_stat(struct pseudo_node *n, struct pseudo_buf *b)
{
    struct irq_vector_stats *vs;
    uint64_t busy = 0, idle = 0, intr = 0, btime = 0;
    unsigned ncpu = cpu_count();
    size_t nv;

    (void)n;
    for (unsigned i = 0; i < ncpu; i++) {
        struct sched_cpu_ticks t = sched_cpu_ticks(i);
        busy += t.busy;
        idle += t.idle;
    }
    stat_cpu_line(b, "cpu ", busy, idle);
    for (unsigned i = 0; i < ncpu; i++) {
        struct sched_cpu_ticks t = sched_cpu_ticks(i);
        char label[16];
        snprintf(label, sizeof(label), "cpu%u", i);
        stat_cpu_line(b, label, t.busy, t.idle);
    }
    vs = kmalloc(256 * sizeof(*vs));
    if (vs) {
        nv = irq_stats(vs, 256);
        for (size_t i = 0; i < nv; i++)
            intr += vs[i].count;
        kfree(vs);
    }
    pseudo_printf(b, "intr %llu\n", (unsigned long long)intr);
    pseudo_printf(b, "ctxt %llu\n", (unsigned long long)sched_switch_count());
    if (walltime_valid())
        btime = (uint64_t)((walltime_ns() - (int64_t)time_ns()) / 1000000000ll);
    pseudo_printf(b, "btime %llu\n", (unsigned long long)btime);
    pseudo_printf(b, "processes %u\n", thread_count());
    pseudo_printf(b, "procs_running %u\nprocs_blocked 0\n", sched_nr_running());
    pseudo_puts(b, "softirq 0 0 0 0 0 0 0 0 0 0 0\n");
}

/* ---- mounts and file-system types */

/* Linux's escaping of mount fields: space, tab, newline and backslash as \ooo. */
static void put_escaped(struct pseudo_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
            pseudo_printf(b, "\\%03o", (unsigned)(unsigned char)*s);
        else
            pseudo_printf(b, "%c", *s);
    }
}

static void mount_line(struct mount *m, const char *mountpoint, void *arg)
{
    struct pseudo_buf *b = arg;
    char opts[128] = "";
    bool ro = (m->flags & MNT_RDONLY) || (m->sb->flags & SB_RDONLY);

    put_escaped(b, m->source[0] ? m->source : "none");
    pseudo_puts(b, " ");
    put_escaped(b, mountpoint);
    pseudo_printf(b, " %s %s", m->sb->type->name, ro ? "ro" : "rw");
    if (m->sb->ops && m->sb->ops->show_options)
        m->sb->ops->show_options(m->sb, opts, sizeof(opts));
    if (opts[0])
        pseudo_printf(b, ",%s", opts);
    pseudo_puts(b, " 0 0\n");
}

static void show_mounts(struct pseudo_node *n, struct pseudo_buf *b)
{
    struct vfs_ctx *ctx = vfs_kernel_ctx();

    (void)n;
    if (ctx)
        vfs_for_each_mount(ctx, mount_line, b);
}

static void fs_line(const struct fs_type *t, void *arg)
{
    pseudo_printf(arg, "%s\t%s\n", (t->flags & FS_REQUIRES_DEV) ? "" : "nodev", t->name);
}

static void show_filesystems(struct pseudo_node *n, struct pseudo_buf *b)
{
    (void)n;
    vfs_for_each_fs(fs_line, b);
}

/* ---- disks */

/* Calls fn for each whole disk followed by its partitions (Linux's order). */
static void for_each_disk_and_part(void (*fn)(struct blk_dev *d, struct pseudo_buf *b),
                                   struct pseudo_buf *b)
{
    size_t count = blk_count();

    for (size_t i = 0; i < count; i++) {
        struct blk_dev *d = blk_get(i);
        if (!d || d->whole)
            continue;
        fn(d, b);
        for (uint32_t no = 1; no < 256; no++) {
            bool more = false;
            for (size_t j = 0; j < count; j++) {
                struct blk_dev *p = blk_get(j);
                if (p && p->whole == d && p->partno >= no)
                    more = true;
                if (p && p->whole == d && p->partno == no)
                    fn(p, b);
            }
            if (!more)
                break;
        }
    }
}

static void partition_line(struct blk_dev *d, struct pseudo_buf *b)
{
    pseudo_printf(b, "%4u  %7u %10llu %s\n", d->major, d->minor,
                  (unsigned long long)(d->sectors / 2), d->name);
}

static void show_partitions(struct pseudo_node *n, struct pseudo_buf *b)
{
    (void)n;
    pseudo_puts(b, "major minor  #blocks  name\n\n");
    for_each_disk_and_part(partition_line, b);
}

static void diskstats_line(struct blk_dev *d, struct pseudo_buf *b)
{
    /* reads merges sectors ms, writes merges sectors ms, in flight, io ms, weighted ms,
     * discards merges sectors ms, flushes ms: times and merges are not measured (0) */
    pseudo_printf(b, "%4u %7u %s %llu 0 %llu 0 %llu 0 %llu 0 %u 0 0 0 0 0 0 %llu 0\n",
                  d->major, d->minor, d->name,
                  (unsigned long long)__atomic_load_n(&d->reads, __ATOMIC_RELAXED),
                  (unsigned long long)__atomic_load_n(&d->sectors_read, __ATOMIC_RELAXED),
                  (unsigned long long)__atomic_load_n(&d->writes, __ATOMIC_RELAXED),
                  (unsigned long long)__atomic_load_n(&d->sectors_written, __ATOMIC_RELAXED),
                  __atomic_load_n(&d->inflight, __ATOMIC_RELAXED),
                  (unsigned long long)__atomic_load_n(&d->flushes, __ATOMIC_RELAXED));
}

static void show_diskstats(struct pseudo_node *n, struct pseudo_buf *b)
{
    (void)n;
    for_each_disk_and_part(diskstats_line, b);
}

struct devices_walk {
    struct pseudo_buf *b;
    uint32_t last_major;
    const char *last_region;
};

static void chrdev_line(const struct chrdev *cd, void *arg)
{
    struct devices_walk *w = arg;

    if (w->last_region && w->last_major == cd->major && strcmp(w->last_region, cd->region) == 0)
        return;
    w->last_major = cd->major;
    w->last_region = cd->region;
    pseudo_printf(w->b, "%3u %s\n", cd->major, cd->region);
}

static void show_devices(struct pseudo_node *n, struct pseudo_buf *b)
{
    struct devices_walk w = { .b = b };
    size_t count = blk_count();

    (void)n;
    pseudo_puts(b, "Character devices:\n");
    chrdev_for_each(chrdev_line, &w);
    pseudo_puts(b, "\nBlock devices:\n");
    for (size_t i = 0; i < count; i++) {
        struct blk_dev *d = blk_get(i);
        bool seen = false;
        if (!d || d->whole)
            continue;
        for (size_t j = 0; j < i && !seen; j++) {
            struct blk_dev *e = blk_get(j);
            seen = e && !e->whole && e->major == d->major;
        }
        if (!seen)
            pseudo_printf(b, "%3u %s\n", d->major, d->driver ? d->driver : "blk");
    }
}

/* ---- interrupts */

static void show_interrupts(struct pseudo_node *n, struct pseudo_buf *b)
{
    struct irq_vector_stats *vs = kmalloc(256 * sizeof(*vs));
    size_t nv;

    (void)n;
    if (!vs) {
        b->error = -ENOMEM;
        return;
    }
    nv = irq_stats(vs, 256);
    pseudo_puts(b, "           total\n");
    for (size_t i = 0; i < nv; i++) {
        char label[12];
        if (vs[i].gsi != UINT32_MAX)
            snprintf(label, sizeof(label), "%u", vs[i].gsi);
        else
            snprintf(label, sizeof(label), "V%u", vs[i].vector);
        pseudo_printf(b, "%4s: %10llu  %s\n", label, (unsigned long long)vs[i].count,
                      vs[i].name ? vs[i].name : "-");
    }
    pseudo_printf(b, " SPU: %10llu  Spurious interrupts\n",
                  (unsigned long long)irq_spurious_count());
    kfree(vs);
}

/* ---- identity */

static void show_version(struct pseudo_node *n, struct pseudo_buf *b)
{
    (void)n;
    /* Linux's layout (release, builder, compiler, "#1 SMP ..."), naming Basalt */
    pseudo_printf(b, "Linux version %s (basalt@basalt) (%s) #1 SMP PREEMPT Basalt %s (%s build)\n",
                  procfs_osrelease, BASALT_COMPILER, BASALT_VERSION, BASALT_BUILD_TYPE);
}

static void show_cmdline(struct pseudo_node *n, struct pseudo_buf *b)
{
    const struct boot_info *bi = mb2_boot_info();

    (void)n;
    pseudo_printf(b, "%s\n", bi && bi->cmdline ? bi->cmdline : "");
}

/* No swap: the header alone (busybox swapon -s). */
static void show_swaps(struct pseudo_node *n, struct pseudo_buf *b)
{
    (void)n;
    pseudo_puts(b, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
}

/* No loadable modules: empty (lsmod). */
static void show_empty(struct pseudo_node *n, struct pseudo_buf *b)
{
    (void)n, (void)b;
}

static void show_string(struct pseudo_node *n, struct pseudo_buf *b)
{
    pseudo_printf(b, "%s\n", (const char *)n->data);
}

/* ---- per-thread directories: /proc/<id>/ and /proc/self */

/*
 * Every thread, the kernel's own included, has a directory named by its id
 * (sched/thread.h's tid), as every Linux task has /proc/<pid>/. Linux
 * names a process's directory by its tgid; until processes exist each
 * thread is its own process here. Linux hides its idle tasks (pid 0);
 * Basalt's idle threads have ids like any other and are listed.
 */

/* The id a name of /proc stands for: digits, no leading zero, 1..INT_MAX; else 0. */
static int proc_name_tid(const char *name, size_t len)
{
    int64_t v = 0;

    if (len == 0 || len > 10 || name[0] == '0')
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (name[i] < '0' || name[i] > '9')
            return 0;
        v = v * 10 + (name[i] - '0');
    }
    return v <= INT32_MAX ? (int)v : 0;
}

static bool proc_generated(const char *name, size_t len)
{
    return proc_name_tid(name, len) > 0;
}

static bool proc_exists(const char *name, size_t len)
{
    struct sched_thread_info ti;

    return sched_thread_info(proc_name_tid(name, len), &ti) == 0;
}

/*
 * Linux's state letter and name. No signals exist yet, so no wait can be
 * told from an uninterruptible one: every wait shows as S, as an idle
 * Linux kernel thread does, and D is not shown; an exited thread not yet
 * joined or reaped is a zombie.
 */
static char thread_state_letter(uint32_t state, const char **name)
{
    switch (state) {
    case THREAD_RUNNABLE:
    case THREAD_RUNNING:
    case THREAD_WAKING:
        *name = "running";
        return 'R';
    case THREAD_DEAD:
        *name = "zombie";
        return 'Z';
    default:
        *name = "sleeping";
        return 'S';
    }
}

/*
 * The thread a per-thread file describes (node->data2), or false with
 * b->error -ESRCH (the open fails as Linux's does) when it has been freed
 * since the file was looked up.
 */
static bool thread_of(struct pseudo_node *n, struct pseudo_buf *b, struct sched_thread_info *ti)
{
    if (sched_thread_info((int)n->data2, ti) == 0)
        return true;
    b->error = -ESRCH;
    return false;
}

static void show_tid_comm(struct pseudo_node *n, struct pseudo_buf *b)
{
    struct sched_thread_info ti;

    if (thread_of(n, b, &ti))
        pseudo_printf(b, "%s\n", ti.name);
}

#define PF_KTHREAD  0x00200000u     /* Linux's flag of kernel threads (stat field 9) */

/* Linux's 52 fields; what Basalt does not keep (times, memory, signals) is 0. */
static void show_tid_stat(struct pseudo_node *n, struct pseudo_buf *b)
{
    struct sched_thread_info ti;
    const char *sname;

    if (!thread_of(n, b, &ti))
        return;
    /* pid (comm) state ppid pgrp session tty_nr tpgid(-1: no terminal) flags */
    pseudo_printf(b, "%d (%s) %c %d 0 0 0 -1 %u", ti.tid, ti.name,
                  thread_state_letter(ti.run_state, &sname), ti.ptid, PF_KTHREAD);
    /* fields 10..52: faults and times (10-17), priority 20, nice 0, one thread */
    for (unsigned f = 10; f <= 52; f++) {
        long v = 0;
        if (f == 18)
            v = 20;
        else if (f == 20)
            v = 1;
        else if (f == 39)
            v = ti.cpu > 0 ? ti.cpu : 0;        /* processor */
        pseudo_printf(b, " %ld", v);
    }
    pseudo_puts(b, "\n");
}

static void show_tid_status(struct pseudo_node *n, struct pseudo_buf *b)
{
    struct sched_thread_info ti;
    const char *sname;
    char c;

    if (!thread_of(n, b, &ti))
        return;
    c = thread_state_letter(ti.run_state, &sname);
    pseudo_printf(b, "Name:\t%s\nUmask:\t0000\nState:\t%c (%s)\nTgid:\t%d\nNgid:\t0\n"
                  "Pid:\t%d\nPPid:\t%d\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
                  "FDSize:\t0\nGroups:\t\nThreads:\t1\n",
                  ti.name, c, sname, ti.tid, ti.tid, ti.ptid);
}

/* Kernel threads have no command line: empty, as Linux. */
static void show_tid_cmdline(struct pseudo_node *n, struct pseudo_buf *b)
{
    struct sched_thread_info ti;

    (void)thread_of(n, b, &ti);
}

static const struct {
    const char *name;
    pseudo_show_fn show;
} tid_files[] = {
    { "cmdline", show_tid_cmdline },
    { "comm", show_tid_comm },
    { "stat", show_tid_stat },
    { "status", show_tid_status },
};

/*
 * Adds /proc/<tid>/ with its files (under t->sync_lock: nobody looks in
 * before it is whole). A name taken already (cannot happen under the sync
 * lock) or no memory: nothing is added, logged.
 */
static void tid_dir_add(struct pseudo_tree *t, struct pseudo_node *dir, int tid)
{
    struct pseudo_node *d;
    char name[12];

    mutex_assert_held(&t->sync_lock);
    snprintf(name, sizeof(name), "%d", tid);
    d = pseudo_mkdir(t, dir, name, 0555);
    if (!d)
        goto fail;
    for (size_t i = 0; i < ARRAY_SIZE(tid_files); i++)
        if (!pseudo_file(t, d, tid_files[i].name, 0444, tid_files[i].show, NULL,
                         (uint64_t)tid))
            goto fail;
    return;
fail:
    if (d)
        pseudo_remove(t, d);
    pr_warn("proc: cannot make /proc/%d (out of memory)", tid);
}

/* Sorts ti[0..n) by id (a few dozen threads: insertion sort). */
static void sort_by_tid(struct sched_thread_info *ti, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct sched_thread_info x = ti[i];
        size_t j = i;
        for (; j > 0 && ti[j - 1].tid > x.tid; j--)
            ti[j] = ti[j - 1];
        ti[j] = x;
    }
}

/* Whether tid is in the sorted array ti[0..n). */
static bool tid_listed(const struct sched_thread_info *ti, size_t n, int tid)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ti[mid].tid == tid)
            return true;
        if (ti[mid].tid < tid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* Whether dir has a child named name (len bytes). */
static bool has_child(struct pseudo_tree *t, struct pseudo_node *dir, const char *name, size_t len)
{
    bool found;

    mutex_lock(&t->lock);
    found = pseudo_child_locked(dir, name, len) != NULL;
    mutex_unlock(&t->lock);
    return found;
}

/* One name (a lookup): made if the thread lives, removed if it is gone. */
static void proc_sync_one(struct pseudo_tree *t, struct pseudo_node *dir,
                          const char *name, size_t len)
{
    bool alive = proc_exists(name, len);
    struct pseudo_node *n;

    if (alive) {
        if (!has_child(t, dir, name, len))
            tid_dir_add(t, dir, proc_name_tid(name, len));
        return;
    }
    mutex_lock(&t->lock);
    n = pseudo_child_locked(dir, name, len);
    if (n)
        pseudo_remove_locked(t, n);
    mutex_unlock(&t->lock);
}

/*
 * The directories follow the threads alive now (t->sync_lock held, not
 * t->lock). New ones are made in increasing id order, so a listing shows
 * them after the fixed entries by increasing id, as Linux lists pids.
 */
static void proc_sync(struct pseudo_tree *t, struct pseudo_node *dir, const char *name, size_t len)
{
    struct sched_thread_info *ti;
    size_t max, n;

    mutex_assert_held(&t->sync_lock);
    if (name) {
        proc_sync_one(t, dir, name, len);
        return;
    }
    max = thread_count() + 16;      /* threads made meanwhile wait for the next listing */
    ti = kmalloc(max * sizeof(*ti));
    if (!ti) {
        pr_warn("proc: no memory to list the threads");
        return;
    }
    n = sched_list_threads(ti, max);
    sort_by_tid(ti, n);
    mutex_lock(&t->lock);
    list_for_each_safe(pos, &dir->children) {
        struct pseudo_node *c = list_entry(pos, struct pseudo_node, sibling);
        int tid = proc_name_tid(c->name, strlen(c->name));
        if (tid > 0 && !tid_listed(ti, n, tid))
            pseudo_remove_locked(t, c);
    }
    mutex_unlock(&t->lock);
    for (size_t i = 0; i < n; i++) {
        char nm[12];
        int l = snprintf(nm, sizeof(nm), "%d", ti[i].tid);
        if (!has_child(t, dir, nm, (size_t)l))
            tid_dir_add(t, dir, ti[i].tid);
    }
    kfree(ti);
}

static const struct pseudo_dir_ops proc_root_ops = {
    .generated = proc_generated,
    .exists = proc_exists,
    .sync = proc_sync,
};

/* /proc/self: the reader's id, made at each readlink (Linux: its tgid; see above). */
static ssize_t self_link(struct pseudo_node *n, char *buf, size_t len)
{
    char id[12];
    int l = snprintf(id, sizeof(id), "%d", thread_tid());

    (void)n;
    l = (int)MIN((size_t)l, len);
    memcpy(buf, id, (size_t)l);
    return l;
}

/* ---- the tree */

static const struct {
    const char *name;
    pseudo_show_fn show;
} proc_files[] = {
    { "meminfo", show_meminfo },
    { "cpuinfo", show_cpuinfo },
    { "uptime", show_uptime },
    { "loadavg", show_loadavg },
    { "stat", show_stat },
    { "mounts", show_mounts },
    { "filesystems", show_filesystems },
    { "partitions", show_partitions },
    { "diskstats", show_diskstats },
    { "devices", show_devices },
    { "interrupts", show_interrupts },
    { "version", show_version },
    { "cmdline", show_cmdline },
    { "swaps", show_swaps },
    { "modules", show_empty },
};

static const char kernel_version[] = "#1 SMP PREEMPT Basalt " BASALT_VERSION;

static int proc_build(struct pseudo_tree *t)
{
    struct pseudo_node *sys, *kernel;

    for (size_t i = 0; i < ARRAY_SIZE(proc_files); i++)
        if (!pseudo_file(t, NULL, proc_files[i].name, 0444, proc_files[i].show, NULL, 0))
            return -ENOMEM;
    sys = pseudo_mkdir(t, NULL, "sys", 0555);
    kernel = sys ? pseudo_mkdir(t, sys, "kernel", 0555) : NULL;
    if (!kernel ||
        !pseudo_file(t, kernel, "ostype", 0444, show_string, (void *)"Linux", 0) ||
        !pseudo_file(t, kernel, "osrelease", 0444, show_string, (void *)procfs_osrelease, 0) ||
        !pseudo_file(t, kernel, "version", 0444, show_string, (void *)kernel_version, 0) ||
        !pseudo_file(t, kernel, "hostname", 0444, show_string, (void *)"(none)", 0))
        return -ENOMEM;
    if (!pseudo_symlink_fn(t, NULL, "self", self_link))
        return -ENOMEM;
    pseudo_dir_set_ops(t, NULL, &proc_root_ops);
    return 0;
}

static int proc_fill_super(struct super_block *sb, struct blk_dev *bdev, const char *data)
{
    struct pseudo_tree *t = pseudo_tree_new(0, 0555, 0);
    int err;

    (void)bdev, (void)data;
    if (!t)
        return -ENOMEM;
    err = proc_build(t);
    if (!err)
        err = pseudo_fill_super(sb, t, PROC_SUPER_MAGIC);
    if (err)
        pseudo_tree_free(t);
    return err;
}

static struct fs_type proc_type = {
    .name = "proc",
    .fill_super = proc_fill_super,
};

int procfs_init(void)
{
    int err = chrdev_init();    /* /proc/devices lists them */

    return err ? err : vfs_register_fs(&proc_type);
}
