/*
 * src/fs/sysfs.c - the sysfs file system: PCI functions, disks and
 * partitions as directories of one-value files in Linux's formats, on the
 * shared pseudo-file-system tree.
 *
 * Part of fs; reads dev/pci and dev/blk through their headers. See
 * include/fs/sysfs.h.
 */
#include <core/cpu.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/string.h>
#include <dev/blk.h>
#include <dev/pci.h>
#include <fs/pseudo.h>
#include <fs/sysfs.h>
#include <fs/vfs.h>

/* ---- PCI attributes (data: the pci_dev, data2: which) */

enum pci_attr { PA_VENDOR, PA_DEVICE, PA_CLASS, PA_REVISION, PA_IRQ, PA_RESOURCE,
                PA_SUBVENDOR, PA_SUBDEVICE, PA_UEVENT };

static const char *const pci_attr_names[] = {
    [PA_VENDOR] = "vendor", [PA_DEVICE] = "device", [PA_CLASS] = "class",
    [PA_REVISION] = "revision", [PA_IRQ] = "irq", [PA_RESOURCE] = "resource",
    [PA_SUBVENDOR] = "subsystem_vendor", [PA_SUBDEVICE] = "subsystem_device",
    [PA_UEVENT] = "uevent",
};

/* Linux's resource flags (include/linux/ioport.h values) of one BAR. */
#define IORESOURCE_IO           0x00000100ull
#define IORESOURCE_MEM          0x00000200ull
#define IORESOURCE_PREFETCH     0x00002000ull
#define IORESOURCE_SIZEALIGN    0x00040000ull
#define IORESOURCE_MEM_64       0x00100000ull

static void resource_line(struct pseudo_buf *b, const struct pci_bar *bar)
{
    uint64_t flags;

    if (!bar || !bar->size || !bar->base) {
        pseudo_puts(b, "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
        return;
    }
    if (bar->io) {
        flags = IORESOURCE_IO | IORESOURCE_SIZEALIGN | 0x1;     /* BAR bit 0: I/O space */
    } else {
        flags = IORESOURCE_MEM | IORESOURCE_SIZEALIGN;
        if (bar->mem64)
            flags |= IORESOURCE_MEM_64 | 0x4;                   /* BAR type 64-bit */
        if (bar->prefetch)
            flags |= IORESOURCE_PREFETCH | 0x8;
    }
    pseudo_printf(b, "0x%016llx 0x%016llx 0x%016llx\n", (unsigned long long)bar->base,
                  (unsigned long long)(bar->base + bar->size - 1), (unsigned long long)flags);
}

static void show_pci(struct pseudo_node *n, struct pseudo_buf *b)
{
    const struct pci_dev *d = n->data;

    switch ((enum pci_attr)n->data2) {
    case PA_VENDOR: pseudo_printf(b, "0x%04x\n", d->vendor); break;
    case PA_DEVICE: pseudo_printf(b, "0x%04x\n", d->device); break;
    case PA_CLASS:
        pseudo_printf(b, "0x%02x%02x%02x\n", d->class_code, d->subclass, d->prog_if);
        break;
    case PA_REVISION: pseudo_printf(b, "0x%02x\n", d->revision); break;
    case PA_IRQ:
        pseudo_printf(b, "%u\n", d->irq_pin && d->irq_line != 0xff ? d->irq_line : 0u);
        break;
    case PA_SUBVENDOR: pseudo_printf(b, "0x%04x\n", d->subsys_vendor); break;
    case PA_SUBDEVICE: pseudo_printf(b, "0x%04x\n", d->subsys_id); break;
    case PA_UEVENT:
        /* what busybox lspci and mdev read; the driver binding is read racily */
        if (d->driver)
            pseudo_printf(b, "DRIVER=%s\n", d->driver->name);
        pseudo_printf(b, "PCI_CLASS=%04X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\n"
                      "PCI_SLOT_NAME=%04x:%02x:%02x.%u\n"
                      "MODALIAS=pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n",
                      ((unsigned)d->class_code << 16) | ((unsigned)d->subclass << 8) | d->prog_if,
                      d->vendor, d->device, d->subsys_vendor, d->subsys_id,
                      d->segment, d->bus, d->slot, d->func,
                      d->vendor, d->device, d->subsys_vendor, d->subsys_id,
                      d->class_code, d->subclass, d->prog_if);
        break;
    case PA_RESOURCE: {
        /* 6 BARs, the ROM, then (bridges) 4 windows or (others) 6 SR-IOV BARs: all
         * but the BARs are not tracked and read as empty */
        unsigned lines = d->header_type == 1 ? 17 : 13;
        for (unsigned i = 0; i < lines; i++) {
            const struct pci_bar *bar = i < PCI_MAX_BARS ? &d->bar[i] : NULL;
            /* the upper half of a 64-bit BAR is shown empty, as in Linux */
            if (bar && i > 0 && d->bar[i - 1].mem64 && d->bar[i - 1].size)
                bar = NULL;
            resource_line(b, bar);
        }
        break;
    }
    }
}

/*
 * ---- block attributes (data2: which). The disk is found by its directory's
 * name when the file is opened: the blk ktests' RAM disks come and go, so
 * no pointer to one is kept (read-only trees never change shape: the
 * parent is read without the tree's lock).
 */

enum blk_attr { BA_SIZE, BA_STAT, BA_DEV, BA_RO, BA_REMOVABLE, BA_START, BA_PARTITION,
                BA_UEVENT };

static void show_blk(struct pseudo_node *n, struct pseudo_buf *b)
{
    struct blk_dev *d = blk_find(n->parent->name);

    if (!d) {
        b->error = -ENODEV;
        return;
    }

    switch ((enum blk_attr)n->data2) {
    case BA_SIZE: pseudo_printf(b, "%llu\n", (unsigned long long)d->sectors); break;
    case BA_DEV: pseudo_printf(b, "%u:%u\n", d->major, d->minor); break;
    case BA_RO: pseudo_printf(b, "%d\n", d->read_only ? 1 : 0); break;
    case BA_REMOVABLE: pseudo_puts(b, "0\n"); break;
    case BA_START: pseudo_printf(b, "%llu\n", (unsigned long long)d->start_sector); break;
    case BA_PARTITION: pseudo_printf(b, "%u\n", d->partno); break;
    case BA_UEVENT:
        pseudo_printf(b, "MAJOR=%u\nMINOR=%u\nDEVNAME=%s\nDEVTYPE=%s\n", d->major, d->minor,
                      d->name, d->whole ? "partition" : "disk");
        if (d->whole)
            pseudo_printf(b, "PARTN=%u\n", d->partno);
        break;
    case BA_STAT:
        /* Linux's 17 columns; merges and times are not measured (0) */
        pseudo_printf(b, "%8llu %8u %8llu %8u %8llu %8u %8llu %8u %8u %8u %8u %8u %8u %8u %8u %8llu %8u\n",
                      (unsigned long long)__atomic_load_n(&d->reads, __ATOMIC_RELAXED), 0u,
                      (unsigned long long)__atomic_load_n(&d->sectors_read, __ATOMIC_RELAXED), 0u,
                      (unsigned long long)__atomic_load_n(&d->writes, __ATOMIC_RELAXED), 0u,
                      (unsigned long long)__atomic_load_n(&d->sectors_written, __ATOMIC_RELAXED), 0u,
                      __atomic_load_n(&d->inflight, __ATOMIC_RELAXED), 0u, 0u, 0u, 0u, 0u, 0u,
                      (unsigned long long)__atomic_load_n(&d->flushes, __ATOMIC_RELAXED), 0u);
        break;
    }
}

static void show_zero(struct pseudo_node *n, struct pseudo_buf *b)
{
    (void)n;
    pseudo_puts(b, "0\n");
}

/*
 * ---- devices/system/cpu: CPU ranges as Linux writes them ("0-1\n", "0\n");
 * glibc's get_nprocs reads "online". data2: 0 online/present (the CPUs up
 * now: no hotplug), 1 possible (CPU_MAX), 2 kernel_max (CPU_MAX - 1).
 */
static void show_cpu_range(struct pseudo_node *n, struct pseudo_buf *b)
{
    unsigned last = n->data2 == 0 ? cpu_count() - 1 : CPU_MAX - 1;

    if (n->data2 == 2)
        pseudo_printf(b, "%u\n", last);
    else if (last == 0)
        pseudo_puts(b, "0\n");
    else
        pseudo_printf(b, "0-%u\n", last);
}

static int add_cpus(struct pseudo_tree *t, struct pseudo_node *devices)
{
    struct pseudo_node *system = pseudo_mkdir(t, devices, "system", 0755);
    struct pseudo_node *cpu = system ? pseudo_mkdir(t, system, "cpu", 0755) : NULL;
    char name[16];

    if (!cpu ||
        !pseudo_file(t, cpu, "online", 0444, show_cpu_range, NULL, 0) ||
        !pseudo_file(t, cpu, "present", 0444, show_cpu_range, NULL, 0) ||
        !pseudo_file(t, cpu, "possible", 0444, show_cpu_range, NULL, 1) ||
        !pseudo_file(t, cpu, "kernel_max", 0444, show_cpu_range, NULL, 2))
        return -ENOMEM;
    for (unsigned i = 0; i < cpu_count(); i++) {
        snprintf(name, sizeof(name), "cpu%u", i);
        if (!pseudo_mkdir(t, cpu, name, 0755))
            return -ENOMEM;
    }
    return 0;
}

/* ---- the tree */

static int add_pci(struct pseudo_tree *t, struct pseudo_node *devices, struct pci_dev *d)
{
    char name[16];
    struct pseudo_node *dir;

    snprintf(name, sizeof(name), "%04x:%02x:%02x.%u", d->segment, d->bus, d->slot, d->func);
    dir = pseudo_mkdir(t, devices, name, 0755);
    if (!dir)
        return -ENOMEM;
    for (unsigned i = 0; i < ARRAY_SIZE(pci_attr_names); i++)
        if (!pseudo_file(t, dir, pci_attr_names[i], 0444, show_pci, d, i))
            return -ENOMEM;
    return 0;
}

static int add_blk_files(struct pseudo_tree *t, struct pseudo_node *dir, bool part)
{
    static const struct { const char *name; enum blk_attr a; } disk_attrs[] = {
        { "size", BA_SIZE }, { "stat", BA_STAT }, { "dev", BA_DEV }, { "ro", BA_RO },
        { "removable", BA_REMOVABLE }, { "uevent", BA_UEVENT },
    }, part_attrs[] = {
        { "size", BA_SIZE }, { "start", BA_START }, { "dev", BA_DEV },
        { "partition", BA_PARTITION }, { "stat", BA_STAT }, { "ro", BA_RO },
        { "uevent", BA_UEVENT },
    };
    size_t n = part ? ARRAY_SIZE(part_attrs) : ARRAY_SIZE(disk_attrs);

    for (size_t i = 0; i < n; i++) {
        const char *name = part ? part_attrs[i].name : disk_attrs[i].name;
        enum blk_attr a = part ? part_attrs[i].a : disk_attrs[i].a;
        if (!pseudo_file(t, dir, name, 0444, show_blk, NULL, a))
            return -ENOMEM;
    }
    return 0;
}

/*
 * class/block/<name> and dev/block/<maj:min> (when the disk has numbers)
 * links to the directory at path (from /sys).
 */
static int add_blk_links(struct pseudo_tree *t, struct pseudo_node *class_block,
                         struct pseudo_node *dev_block, struct blk_dev *d, const char *path)
{
    char target[64], name[24];

    snprintf(target, sizeof(target), "../../%s", path);
    snprintf(name, sizeof(name), "%u:%u", d->major, d->minor);
    if (!pseudo_symlink(t, class_block, d->name, target))
        return -ENOMEM;
    /* 0:0 means no numbers (RAM disks): several would collide */
    if (d->major && !pseudo_symlink(t, dev_block, name, target))
        return -ENOMEM;
    return 0;
}

static int add_blk(struct pseudo_tree *t, struct pseudo_node *block, struct pseudo_node *cb,
                   struct pseudo_node *db, struct blk_dev *d)
{
    char path[40];
    struct pseudo_node *dir = pseudo_mkdir(t, block, d->name, 0755);
    size_t count = blk_count();
    int err;

    if (!dir)
        return -ENOMEM;
    snprintf(path, sizeof(path), "block/%s", d->name);
    err = add_blk_files(t, dir, false);
    if (!err)
        err = add_blk_links(t, cb, db, d, path);
    for (size_t i = 0; i < count && !err; i++) {
        struct blk_dev *p = blk_get(i);
        struct pseudo_node *pdir;
        if (!p || p->whole != d)
            continue;
        pdir = pseudo_mkdir(t, dir, p->name, 0755);
        if (!pdir)
            return -ENOMEM;
        snprintf(path, sizeof(path), "block/%s/%s", d->name, p->name);
        err = add_blk_files(t, pdir, true);
        if (!err)
            err = add_blk_links(t, cb, db, p, path);
    }
    return err;
}

static int sys_build(struct pseudo_tree *t)
{
    static const char *const top[] = { "firmware", "fs", "module", "power" };
    struct pseudo_node *bus, *pci, *pci_dir, *block, *class, *class_block, *dev, *dev_block,
        *kernel, *devices;
    size_t count;
    int err = 0;

    block = pseudo_mkdir(t, NULL, "block", 0755);
    bus = pseudo_mkdir(t, NULL, "bus", 0755);
    class = pseudo_mkdir(t, NULL, "class", 0755);
    dev = pseudo_mkdir(t, NULL, "dev", 0755);
    kernel = pseudo_mkdir(t, NULL, "kernel", 0755);
    devices = pseudo_mkdir(t, NULL, "devices", 0755);
    if (!block || !bus || !class || !dev || !kernel || !devices)
        return -ENOMEM;
    err = add_cpus(t, devices);
    if (err)
        return err;
    for (size_t i = 0; i < ARRAY_SIZE(top); i++)
        if (!pseudo_mkdir(t, NULL, top[i], 0755))
            return -ENOMEM;
    pci = pseudo_mkdir(t, bus, "pci", 0755);
    pci_dir = pci ? pseudo_mkdir(t, pci, "devices", 0755) : NULL;
    class_block = pseudo_mkdir(t, class, "block", 0755);
    dev_block = pseudo_mkdir(t, dev, "block", 0755);
    if (!pci_dir || !class_block || !dev_block ||
        !pseudo_mkdir(t, kernel, "mm", 0755) ||
        !pseudo_file(t, kernel, "uevent_seqnum", 0444, show_zero, NULL, 0))
        return -ENOMEM;
    /* devices are enumerated once at boot and never removed: the list is stable */
    for (struct pci_dev *d = pci_devices(); d && !err; d = d->next)
        err = add_pci(t, pci_dir, d);
    count = blk_count();
    for (size_t i = 0; i < count && !err; i++) {
        struct blk_dev *d = blk_get(i);
        if (d && !d->whole)
            err = add_blk(t, block, class_block, dev_block, d);
    }
    return err;
}

static int sys_fill_super(struct super_block *sb, struct blk_dev *bdev, const char *data)
{
    struct pseudo_tree *t = pseudo_tree_new(0, 0555, 4096);
    int err;

    (void)bdev, (void)data;
    if (!t)
        return -ENOMEM;
    err = sys_build(t);
    if (!err)
        err = pseudo_fill_super(sb, t, SYSFS_MAGIC);
    if (err)
        pseudo_tree_free(t);
    return err;
}

static struct fs_type sysfs_type = {
    .name = "sysfs",
    .fill_super = sys_fill_super,
};

int sysfs_init(void)
{
    return vfs_register_fs(&sysfs_type);
}
