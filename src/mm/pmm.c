/*
 * src/mm/pmm.c - the physical memory manager (see include/mm/pmm.h).
 *
 * Part of mm. Boot order: clean the firmware map (mm/memmap), reserve what
 * the kernel and loader occupy, size the bitmaps from the highest usable
 * frame, place them in the first usable run below 4 GiB that fits (the
 * boot tables map only that much), hand every usable frame to the bitmap
 * and claim the bitmaps' own frames. Everything after that is the bitmap.
 *
 * Locking: pmm_lock (irqsave) around the bitmap; the innermost mm lock
 * (kheap_lock and vmalloc_lock are taken before it, nothing after it).
 */
#include <mm/pmm.h>
#include <core/backtrace.h>
#include <core/elf.h>
#include <core/errno.h>
#include <core/multiboot2.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/x86.h>
#include <core/spinlock.h>
#include <core/format.h>
#include <mm/frame_bitmap.h>
#include <core/layout.h>
#include <mm/memmap.h>

#define LOW_MEMORY_END  0x100000ull

static struct memmap map;               /* cleaned, with the kernel's reservations */
static struct frame_bitmap bitmap;
static uint64_t bad_frees;
static spinlock_t pmm_lock = SPINLOCK_INIT("pmm_lock");   /* guards bitmap */
static uint64_t usable_bytes, reserved_bytes, highest_ram;
static pmm_reclaim_fn reclaim_hook;              /* [a] the caches' reclaimer, or NULL */
static uint64_t reclaim_calls, reclaimed_frames; /* [a] */

const struct memmap *pmm_memmap(void)
{
    return &map;
}

/* Reserves the usable parts of [base, end) as type (memmap keeps the firmware's other types). */
static void reserve_usable(uint64_t base, uint64_t end, uint32_t type)
{
    base = ALIGN_DOWN(base, PAGE_SIZE);
    end = ALIGN_UP(end, PAGE_SIZE);
    for (size_t i = 0; i < map.count; i++) {
        const struct mem_range *r = &map.ranges[i];
        uint64_t lo = MAX(base, r->base), hi = MIN(end, r->end);
        if (r->type == BOOT_MEM_USABLE && lo < hi) {
            memmap_reserve(&map, lo, hi, type);
            i = (size_t)-1;             /* the map changed: start over */
        }
    }
}

static void reserve_symbol_table(const struct boot_info *bi)
{
    const uint8_t *base = bi->elf_shdrs;

    if (bi->elf_shentsize < sizeof(Elf64_Shdr))
        return;
    for (uint32_t i = 0; base && i < bi->elf_shnum; i++) {
        Elf64_Shdr sh;
        /* the tag only 4-byte aligns the headers: copy each one out */
        memcpy(&sh, base + (size_t)i * bi->elf_shentsize, sizeof(sh));
        if ((sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_STRTAB) &&
            !(sh.sh_flags & SHF_ALLOC) && sh.sh_addr && sh.sh_addr < PHYS_ADDR_LIMIT &&
            sh.sh_size <= PHYS_ADDR_LIMIT - sh.sh_addr)
            reserve_usable(sh.sh_addr, sh.sh_addr + sh.sh_size, MEMMAP_BOOT_DATA);
    }
}

/* Adds a range; when the map is full, merging what is there usually makes room. */
static void add_range(uint64_t base, uint64_t length, uint32_t type)
{
    if (memmap_add(&map, base, length, type) == -ENOSPC) {
        memmap_clean(&map);
        map.overflow = false;
        memmap_add(&map, base, length, type);
    }
}

/* Physical address bits this CPU implements (CPUID 0x80000008), 36 if it does not say. */
static unsigned phys_addr_bits(void)
{
    if (cpuid(0x80000000, 0).eax < 0x80000008)
        return 36;
    return cpuid(0x80000008, 0).eax & 0xFF;
}

static int build_map(const struct boot_info *bi)
{
    uint64_t limit = MIN(DIRECT_MAP_WINDOW, 1ull << phys_addr_bits());

    memmap_init(&map);
    for (size_t i = 0; i < bi->mmap_count; i++)
        add_range(bi->mmap[i].base, bi->mmap[i].length, bi->mmap[i].type);
    if (bi->mmap_truncated)
        pr_warn("pmm: the loader's memory map has more than %d entries; the rest "
                "is ignored", BOOT_MAX_MMAP);
    if (bi->efi_mmap &&
        memmap_add_efi(&map, bi->efi_mmap, bi->efi_mmap_size, bi->efi_desc_size) != 0)
        pr_warn("pmm: EFI memory map unreadable or too large; it refines the "
                "multiboot map only partly");
    memmap_clean(&map);
    /* RAM claimed beyond what the CPU can address or the direct map can hold is garbage */
    if (memmap_highest(&map, BOOT_MEM_USABLE) > limit)
        pr_warn("pmm: ignoring RAM above %#llx (beyond the CPU's %u address bits "
                "or the direct map)", (unsigned long long)limit, phys_addr_bits());
    memmap_reserve(&map, limit, UINT64_MAX, BOOT_MEM_RESERVED);
    if (map.overflow)
        pr_warn("pmm: firmware memory map too large; some ranges ignored");
    usable_bytes = memmap_total(&map, BOOT_MEM_USABLE);
    highest_ram = memmap_highest(&map, BOOT_MEM_USABLE);
    if (!usable_bytes)
        return -ENOENT;

    reserve_usable(0, LOW_MEMORY_END, MEMMAP_LOW_MEMORY);
    reserve_usable((uintptr_t)__kernel_phys_start, (uintptr_t)__kernel_phys_end, MEMMAP_KERNEL);
    reserve_usable(bi->mbi_phys, bi->mbi_phys + bi->mbi_size, MEMMAP_BOOT_DATA);
    for (size_t i = 0; i < bi->module_count; i++)
        reserve_usable(bi->modules[i].start, bi->modules[i].end, MEMMAP_BOOT_DATA);
    reserve_symbol_table(bi);
    reserved_bytes = usable_bytes - memmap_total(&map, BOOT_MEM_USABLE);
    return 0;
}

/* The first usable run below the boot direct map that holds bytes. */
static int find_bitmap_home(uint64_t bytes, uint64_t *pa)
{
    for (size_t i = 0; i < map.count; i++) {
        const struct mem_range *r = &map.ranges[i];
        uint64_t base = ALIGN_UP(r->base, PAGE_SIZE);
        if (r->type == BOOT_MEM_USABLE && base + bytes <= r->end &&
            base + bytes <= BOOT_DIRECT_MAP_LIMIT) {
            *pa = base;
            return 0;
        }
    }
    return -ENOMEM;
}

int pmm_init(const struct boot_info *bi)
{
    size_t nframes, words;
    uint64_t home, bytes;
    int err;

    err = build_map(bi);
    if (err)
        return err;
    nframes = highest_ram / PAGE_SIZE;
    words = frame_bitmap_words(nframes);
    bytes = ALIGN_UP(2 * words * sizeof(uint64_t), PAGE_SIZE);
    err = find_bitmap_home(bytes, &home);
    if (err)
        return err;

    /* the bitmaps' frames are never the allocator's: freeing one is a foreign free */
    reserve_usable(home, home + bytes, MEMMAP_BOOT_DATA);
    reserved_bytes += bytes;

    uint64_t *used = phys_to_virt(home);
    frame_bitmap_init(&bitmap, used, used + words, nframes);
    for (size_t i = 0; i < map.count; i++) {
        const struct mem_range *r = &map.ranges[i];
        uint64_t lo = ALIGN_UP(r->base, PAGE_SIZE), hi = ALIGN_DOWN(r->end, PAGE_SIZE);
        if (r->type == BOOT_MEM_USABLE && lo < hi)
            frame_bitmap_add_free(&bitmap, lo / PAGE_SIZE, (hi - lo) / PAGE_SIZE);
    }
    return 0;
}

static void report_bad_free(int err, uint64_t pa)
{
    __atomic_fetch_add(&bad_frees, 1, __ATOMIC_RELAXED);   /* outside pmm_lock */
    pr_err("pmm_free: %s frame %#llx: %s", err == -EFAULT ? "foreign" : "bad",
           (unsigned long long)pa,
           err == -EFAULT ? "never belonged to the allocator (not managed RAM)" :
           err == -EINVAL ? "already free (double free, or never allocated)" :
                            "beyond the end of RAM");
    backtrace_print();
}

int pmm_alloc(uint32_t flags, uint64_t *pa)
{
    return pmm_alloc_contig(1, PAGE_SIZE, flags, pa);
}

pmm_reclaim_fn pmm_set_reclaim_hook(pmm_reclaim_fn fn)
{
    return __atomic_exchange_n(&reclaim_hook, fn, __ATOMIC_ACQ_REL);
}

size_t pmm_reclaim(size_t want)
{
    pmm_reclaim_fn fn = __atomic_load_n(&reclaim_hook, __ATOMIC_ACQUIRE);
    size_t got;

    if (!fn || !want)
        return 0;
    got = fn(want);
    __atomic_fetch_add(&reclaim_calls, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&reclaimed_frames, got, __ATOMIC_RELAXED);
    return got;
}

/* One try at count frames: 0 and the first in *first, or -ENOMEM. Takes pmm_lock. */
static int alloc_run(size_t count, uint64_t align, size_t limit, size_t *first)
{
    uint64_t irq = spin_lock_irqsave(&pmm_lock);
    int err;

    if (count == 1 && align == PAGE_SIZE && !limit)
        err = frame_bitmap_alloc(&bitmap, first);
    else
        err = frame_bitmap_alloc_run(&bitmap, count, (size_t)(align / PAGE_SIZE), limit, first);
    spin_unlock_irqrestore(&pmm_lock, irq);
    return err;
}

int pmm_alloc_contig(size_t count, uint64_t align, uint32_t flags, uint64_t *pa)
{
    size_t first, limit = 0;
    int err;

    if (align == 0)
        align = PAGE_SIZE;
    if (!count || align < PAGE_SIZE || (align & (align - 1)))
        return -EINVAL;
    if (flags & PMM_BELOW_4G)
        limit = (size_t)((4ull << 30) / PAGE_SIZE);
    err = alloc_run(count, align, limit, &first);
    /* out of frames: the caches give some back (outside pmm_lock), then once more */
    if (err == -ENOMEM && !(flags & PMM_NORECLAIM) && pmm_reclaim(count) > 0)
        err = alloc_run(count, align, limit, &first);
    if (err)
        return err;
    *pa = (uint64_t)first * PAGE_SIZE;
    if (flags & PMM_ZERO)
        memset(phys_to_virt(*pa), 0, count * PAGE_SIZE);
    return 0;
}

int pmm_free_contig(uint64_t pa, size_t count)
{
    size_t bad = 0;
    uint64_t irq;
    int err;

    if (pa % PAGE_SIZE) {
        report_bad_free(-EINVAL, pa);
        return -EINVAL;
    }
    irq = spin_lock_irqsave(&pmm_lock);
    err = frame_bitmap_free(&bitmap, (size_t)(pa / PAGE_SIZE), count, &bad);
    spin_unlock_irqrestore(&pmm_lock, irq);
    if (err)
        report_bad_free(err, (uint64_t)bad * PAGE_SIZE);
    return err;
}

int pmm_free(uint64_t pa)
{
    return pmm_free_contig(pa, 1);
}

struct pmm_stats pmm_stats(void)
{
    uint64_t irq = spin_lock_irqsave(&pmm_lock);
    struct pmm_stats s = {
        .managed_frames = bitmap.managed_count,
        .free_frames = bitmap.free_count,
        .usable_bytes = usable_bytes,
        .reserved_bytes = reserved_bytes,
        .highest_ram = highest_ram,
        .bad_frees = __atomic_load_n(&bad_frees, __ATOMIC_RELAXED),
        .reclaim_calls = __atomic_load_n(&reclaim_calls, __ATOMIC_RELAXED),
        .reclaimed_frames = __atomic_load_n(&reclaimed_frames, __ATOMIC_RELAXED),
    };
    spin_unlock_irqrestore(&pmm_lock, irq);
    return s;
}

void pmm_dump_map(void)
{
    for (size_t i = 0; i < map.count; i++)
        pr_info("pmm:   [%#014llx-%#014llx) %8llu KiB %s",
                (unsigned long long)map.ranges[i].base, (unsigned long long)map.ranges[i].end,
                (unsigned long long)((map.ranges[i].end - map.ranges[i].base) >> 10),
                memmap_type_name(map.ranges[i].type));
}

static bool is_direct_mapped_type(uint32_t type)
{
    return type == BOOT_MEM_USABLE || type == BOOT_MEM_ACPI_RECLAIMABLE ||
           type == BOOT_MEM_ACPI_NVS || type == MEMMAP_KERNEL || type == MEMMAP_BOOT_DATA ||
           type == MEMMAP_LOW_MEMORY;
}

bool pmm_is_ram(uint64_t pa, uint64_t len)
{
    uint64_t end = pa + len;

    for (size_t i = 0; i < map.count && pa < end; i++) {
        const struct mem_range *r = &map.ranges[i];
        if (r->end <= pa)
            continue;
        if (r->base > pa || !is_direct_mapped_type(r->type))
            return false;
        pa = r->end;
    }
    return pa >= end;
}
