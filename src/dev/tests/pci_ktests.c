/*
 * src/dev/tests/pci_ktests.c - in-kernel tests of dev/pci on the machines
 * QEMU builds.
 *
 * Part of dev's ktests. Two kinds:
 *
 * - pci.<name>: run in every `ktest` run (pc and q35, SeaBIOS and OVMF,
 *   any memory size and CPU count), so they only assert what holds on any
 *   of those: the list agrees with configuration space (read again here,
 *   through ECAM and through the ports), every BAR is restored after sizing
 *   and aligned, the recorded capability lists match a fresh walk, the
 *   driver model binds, refuses and unbinds a test driver, and the `pci`
 *   shell command lists what was found.
 * - KTEST_MANUAL tests for one QEMU set-up each, run by name by the pci.*
 *   ctest entries (test/CMakeLists.txt) with the devices they need:
 *     pci.topology_pc, pci.topology_q35   the machines as they are (exact
 *                                         functions; q35 also with pci.noecam)
 *     pci.pcdev_*    pc + pci-bridge br1 + virtio-rng-pci,bus=br1,addr=3
 *                    + pci-bridge br2 on br1 + virtio-rng-pci,bus=br2,addr=1
 *                    + e1000e (configuration through the ports)
 *     pci.q35dev_*   q35 + virtio-rng-pci + e1000e + pcie-root-port rp1
 *                    + virtio-rng-pci,bus=rp1 (through ECAM)
 *   The interrupt tests use functions no driver owns (e1000e, AHCI, a
 *   pci-bridge), check what pci_irq_* wrote into the MSI-X table, the MSI
 *   capability, the command register and the I/O APIC, and have the e1000e
 *   raise real interrupts (its ICS register) over MSI-X, MSI and INTx.
 *
 * Every test leaves what it changed as it found it: drivers unregistered,
 * interrupts freed, command registers restored.
 */
#include <core/cmdline.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/irq.h>
#include <core/ktest.h>
#include <core/printk.h>
#include <core/shell.h>
#include <core/tsc.h>
#include <core/x86.h>
#include <dev/acpi.h>
#include <dev/ioapic.h>
#include <dev/pci.h>

#define VENDOR_INTEL            0x8086
#define VENDOR_BOCHS            0x1234      /* QEMU's standard VGA */
#define VENDOR_REDHAT           0x1b36      /* QEMU's bridges */
#define VENDOR_VIRTIO           0x1af4
#define DEVICE_Q35_HOST         0x29c0
#define DEVICE_I440FX_HOST      0x1237
#define DEVICE_STD_VGA          0x1111
#define DEVICE_E1000E           0x10d3
#define DEVICE_ICH9_AHCI        0x2922
#define DEVICE_PCI_BRIDGE       0x0001      /* 1b36:0001 pci-bridge */
#define DEVICE_PCIE_ROOT_PORT   0x000c      /* 1b36:000c pcie-root-port */
#define DEVICE_VIRTIO_RNG_TRANS 0x1005      /* transitional virtio-rng */
#define DEVICE_VIRTIO_RNG       0x1044      /* modern-only virtio-rng (0x1040 + 4) */

/* Type 1 header windows (PCI-to-PCI Bridge 1.2, 3.2.5). */
#define BR_IO_BASE              0x1c
#define BR_IO_LIMIT             0x1d
#define BR_MEM_BASE             0x20
#define BR_MEM_LIMIT            0x22
#define BR_PREF_BASE            0x24
#define BR_PREF_LIMIT           0x26
#define BR_PREF_BASE_HI         0x28
#define BR_PREF_LIMIT_HI        0x2c
#define BR_IO_BASE_HI           0x30
#define BR_IO_LIMIT_HI          0x32

/* Capability fields the tests read back (MSI and MSI-X ones are in pci.h). */
#define PCIE_FLAGS              0x02
#define PCIE_TYPE_ENDPOINT      0x0u
#define PCIE_TYPE_ROOT_PORT     0x4u
#define PCIE_TYPE_RC_ENDPOINT   0x9u
#define PCI_CAP_SATA            0x12
#define PCI_CAP_BRIDGE_SUBSYS   0x0d

/* virtio 1.x PCI capability (virtio 1.1, 4.1.4): cfg_type at +3, BAR at +4, offset at +8. */
#define VIRTIO_CAP_TYPE         3
#define VIRTIO_CAP_BAR          4
#define VIRTIO_CAP_OFFSET       8
#define VIRTIO_CAP_COMMON       1
#define VIRTIO_CAP_PCI_CFG      5
#define VIRTIO_COMMON_NUM_QUEUES 0x12

/* e1000e (82574) registers for raising an interrupt by hand. */
#define E1000_ICR               0xc0
#define E1000_ICS               0xc8
#define E1000_IMS               0xd0
#define E1000_IMC               0xd8
#define E1000_IVAR              0xe4
#define E1000_ICR_OTHER         (1u << 24)
#define E1000_IVAR_OTHER_SHIFT  16
#define E1000_IVAR_VALID        0x8u

#define MSI_ADDRESS_BASE        0xfee00000u
#define WAIT_NS                 (200ull * 1000 * 1000)
#define QUIET_NS                (20ull * 1000 * 1000)
#define IOAPIC_ENTRY_MASKED     (1ull << 16)
#define IOAPIC_ENTRY_LEVEL      (1ull << 15)

/* ---- helpers ------------------------------------------------------------------ */

static bool on_machine(uint16_t host_device)
{
    const struct pci_dev *h = pci_find(0, 0, 0);

    return h && h->vendor == VENDOR_INTEL && h->device == host_device;
}

/* The address every MSI/MSI-X message must carry: the boot CPU's local APIC. */
static uint32_t expected_msi_address(void)
{
    return MSI_ADDRESS_BASE | (cpu_get(0)->apic_id << 12);
}

static uint32_t class24(const struct pci_dev *d)
{
    return ((uint32_t)d->class_code << 16) | ((uint32_t)d->subclass << 8) | d->prog_if;
}

static bool is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

/* The only function with these IDs (fails the test if there is not exactly one). */
static struct pci_dev *need_one(uint16_t vendor, uint16_t device)
{
    struct pci_dev *d = pci_find_id(vendor, device, 0);

    if (!d || pci_find_id(vendor, device, 1)) {
        ktest_fail(__FILE__, __LINE__, "expected exactly one %04x:%04x, found %s", vendor,
                   device, d ? "several" : "none");
        ktest_abort();
    }
    return d;
}

/* What pci_irq_* act on must be nobody else's: no driver, no interrupts. */
static void need_unbound(const struct pci_dev *d)
{
    if (d->driver || d->irq_mode != PCI_IRQ_NONE) {
        ktest_fail(__FILE__, __LINE__, "%02x:%02x.%u is in use (driver %s, interrupts %s)",
                   d->bus, d->slot, d->func, d->driver ? d->driver->name : "none",
                   pci_irq_mode_name(d->irq_mode));
        ktest_abort();
    }
}

/* Counts the capabilities with this ID by pci_find_cap's `after` iteration. */
static unsigned count_caps(const struct pci_dev *d, uint8_t id)
{
    unsigned n = 0;

    for (uint8_t off = pci_find_cap(d, id, 0); off && n <= PCI_MAX_CAPS;
         off = pci_find_cap(d, id, off))
        n++;
    return n;
}

/* Waits with interrupts on until *hits reaches want, at most WAIT_NS. */
static bool wait_hits(volatile unsigned *hits, unsigned want)
{
    uint64_t end = tsc_ns_since_boot() + WAIT_NS;

    while (*hits < want && tsc_ns_since_boot() < end)
        cpu_idle();
    return *hits >= want;
}

/* ---- enumeration, on every machine ------------------------------------------------ */

KTEST(pci, list_matches_count_and_lookups)
{
    size_t n = 0;
    const struct pci_dev *host = pci_devices();

    KT_ASSERT_EQ(pci_init(), 0);            /* a second call returns the first result */
    KT_ASSERT_NOT_NULL(host);
    KT_EXPECT_TRUE(host->bus == 0 && host->slot == 0 && host->func == 0);
    KT_EXPECT_EQ(host->class_code, 0x06);   /* a host bridge comes first */
    KT_EXPECT_EQ(host->subclass, 0x00);
    for (struct pci_dev *d = pci_devices(); d; d = d->next) {
        uint32_t id = pci_cfg_read32_ports(d->bus, d->slot, d->func, PCI_VENDOR_ID);
        unsigned nth = 0;

        n++;
        KT_EXPECT_TRUE(pci_find(d->bus, d->slot, d->func) == d);
        for (struct pci_dev *e = pci_devices(); e != d; e = e->next)
            if (e->vendor == d->vendor && e->device == d->device)
                nth++;
        KT_EXPECT_TRUE(pci_find_id(d->vendor, d->device, nth) == d);
        KT_EXPECT_EQ(id, ((uint32_t)d->device << 16) | d->vendor);
        KT_EXPECT_EQ(d->segment, 0);
        KT_EXPECT_LE(d->header_type, 2);
        KT_EXPECT_LE(d->irq_pin, 4);
        KT_EXPECT_EQ(d->header_type, pci_cfg_read8(d, PCI_HEADER_TYPE) & 0x7f);
        KT_EXPECT_EQ(d->class_code, pci_cfg_read8(d, PCI_CLASS));
        KT_EXPECT_EQ(d->cfg_size, d->ecam ? PCI_CFG_SIZE_ECAM : PCI_CFG_SIZE_LEGACY);
        KT_EXPECT_EQ(d->ecam != NULL, pci_cfg_using_ecam());
        if (d->bus != 0) {
            /* behind a bridge: listed after the bridge whose secondary bus it is on */
            const struct pci_dev *br = NULL;

            for (const struct pci_dev *e = pci_devices(); e != d; e = e->next)
                if (e->header_type == 1 && e->secondary_bus == d->bus)
                    br = e;
            KT_EXPECT_TRUE(br != NULL);
        }
    }
    KT_EXPECT_EQ(n, pci_device_count());
    KT_EXPECT_TRUE(pci_find(0xff, 31, 7) == NULL);
    KT_EXPECT_TRUE(pci_find_id(0xffff, 0xffff, 0) == NULL);
}

KTEST(pci, ecam_chosen_from_mcfg)
{
    const struct acpi_info *a = acpi_get();
    bool mcfg0 = false;

    for (size_t i = 0; a && a->has_mcfg && i < a->mcfg_count; i++)
        if (a->mcfg[i].segment == 0)
            mcfg0 = true;
    KT_EXPECT_EQ(pci_cfg_using_ecam(), mcfg0 && !cmdline_has(cmdline_boot(), "pci.noecam"));
    /* QEMU: q35 has an MCFG, pc does not */
    if (on_machine(DEVICE_Q35_HOST))
        KT_EXPECT_TRUE(mcfg0);
    if (on_machine(DEVICE_I440FX_HOST))
        KT_EXPECT_FALSE(mcfg0);
}

/*
 * Every function's first 256 bytes read the same through pci_cfg_read32
 * (ECAM when in use) and the 0xCF8 ports, and the narrow reads are the
 * matching pieces of the dwords.
 */
KTEST(pci, ecam_and_ports_agree)
{
    for (struct pci_dev *d = pci_devices(); d; d = d->next) {
        for (uint16_t off = 0; off < PCI_CFG_SIZE_LEGACY; off += 4) {
            uint32_t mine = pci_cfg_read32(d, off);
            uint32_t ports = pci_cfg_read32_ports(d->bus, d->slot, d->func, (uint8_t)off);

            if (mine != ports) {
                ktest_fail(__FILE__, __LINE__, "%02x:%02x.%u at %#x: %#x through %s, %#x "
                           "through the ports", d->bus, d->slot, d->func, off, mine,
                           d->ecam ? "ECAM" : "pci_cfg_read32", ports);
                break;
            }
            if (pci_cfg_read16(d, off) != (uint16_t)mine ||
                pci_cfg_read16(d, off + 2) != (uint16_t)(mine >> 16) ||
                pci_cfg_read8(d, off + 1) != (uint8_t)(mine >> 8) ||
                pci_cfg_read8(d, off + 3) != (uint8_t)(mine >> 24)) {
                ktest_fail(__FILE__, __LINE__, "%02x:%02x.%u at %#x: narrow reads differ "
                           "from the dword %#x", d->bus, d->slot, d->func, off, mine);
                break;
            }
        }
    }
}

/* Counts lines with needle logged after the line holding marker (0 if the marker is gone). */
static unsigned log_lines_after(const char *marker, const char *needle)
{
    static char ring[65536];
    size_t n = printk_ring_read(ring, sizeof(ring) - 1);
    const char *p;
    unsigned count = 0;

    ring[n] = '\0';
    p = strstr(ring, marker);
    while (p && (p = strstr(p + 1, needle)))
        count++;
    return count;
}

/*
 * Out-of-range and misaligned accesses read all ones and write nothing,
 * reported once per device; an in-range narrow write (the interrupt line,
 * a scratch byte for software) lands exactly where it should.
 */
KTEST(pci, config_access_checks_bounds)
{
    struct pci_dev *host = pci_find(0, 0, 0);
    struct pci_dev copy;
    char marker[48];
    uint32_t dw;
    uint8_t line;

    KT_ASSERT_NOT_NULL(host);
    copy = *host;                           /* a device that has reported nothing yet */
    copy.cfg_warned = false;
    snprintf(marker, sizeof(marker), "pci ktest: bounds %llu",
             (unsigned long long)tsc_ns_since_boot());
    pr_info("%s", marker);
    KT_EXPECT_EQ(pci_cfg_read32(&copy, copy.cfg_size), 0xffffffffu);
    KT_EXPECT_EQ(pci_cfg_read32(&copy, 2), 0xffffffffu);
    KT_EXPECT_EQ(pci_cfg_read16(&copy, 1), 0xffff);
    KT_EXPECT_EQ(pci_cfg_read16(&copy, copy.cfg_size - 1), 0xffff);
    KT_EXPECT_EQ(pci_cfg_read8(&copy, copy.cfg_size), 0xff);
    pci_cfg_write32(&copy, PCI_VENDOR_ID + 1, 0);
    pci_cfg_write16(&copy, copy.cfg_size, 0);
    KT_EXPECT_EQ(log_lines_after(marker, "pci 00:00.0: bad configuration access"), 1u);
    KT_EXPECT_EQ(pci_cfg_read32(host, PCI_VENDOR_ID),
                 ((uint32_t)host->device << 16) | host->vendor);

    dw = pci_cfg_read32(host, PCI_INTERRUPT_LINE);
    line = (uint8_t)dw;
    pci_cfg_write8(host, PCI_INTERRUPT_LINE, line ^ 0x5a);
    KT_EXPECT_EQ(pci_cfg_read32(host, PCI_INTERRUPT_LINE), (dw & ~0xffu) | (uint8_t)(line ^ 0x5a));
    pci_cfg_write16(host, PCI_INTERRUPT_LINE, (uint16_t)(dw & 0xff00u) | 0x33);
    KT_EXPECT_EQ(pci_cfg_read32(host, PCI_INTERRUPT_LINE), (dw & ~0xffu) | 0x33);
    pci_cfg_write8(host, PCI_INTERRUPT_LINE, line);
    KT_EXPECT_EQ(pci_cfg_read32(host, PCI_INTERRUPT_LINE), dw);
}

/*
 * Every BAR: a power-of-two size, assigned (both firmwares assign all) and
 * aligned, and its register holds the recorded base again after sizing,
 * with the type bits that were recorded. A 64-bit BAR's upper slot is no
 * BAR of its own; a bridge has two BARs at most.
 */
KTEST(pci, bars_restored_after_sizing)
{
    for (struct pci_dev *d = pci_devices(); d; d = d->next) {
        for (unsigned i = 0; i < PCI_MAX_BARS; i++) {
            const struct pci_bar *b = &d->bar[i];
            uint32_t reg = pci_cfg_read32(d, PCI_BAR0 + 4 * i);
            uint64_t base;

            if (!b->size)
                continue;
            if (d->header_type != 0)
                KT_EXPECT_LT(i, 2u);
            KT_EXPECT_TRUE(is_pow2(b->size));
            KT_EXPECT_NE(b->base, 0u);
            KT_EXPECT_EQ(b->base & (b->size - 1), 0u);
            KT_EXPECT_EQ(reg & 1u, (uint32_t)b->io);
            if (b->io) {
                base = reg & ~3u;
            } else {
                base = reg & ~0xfu;
                KT_EXPECT_EQ((reg >> 1) & 3u, b->mem64 ? 2u : 0u);
                KT_EXPECT_EQ((reg >> 3) & 1u, (uint32_t)b->prefetch);
            }
            if (b->mem64) {
                KT_ASSERT_LT(i + 1, (unsigned)PCI_MAX_BARS);
                KT_EXPECT_EQ(d->bar[i + 1].size, 0u);
                base |= (uint64_t)pci_cfg_read32(d, PCI_BAR0 + 4 * (i + 1)) << 32;
            }
            if (base != b->base)
                ktest_fail(__FILE__, __LINE__, "%02x:%02x.%u BAR%u holds %#llx, sized at %#llx",
                           d->bus, d->slot, d->func, i, (unsigned long long)base,
                           (unsigned long long)b->base);
        }
    }
}

/*
 * pci_map_bar maps an assigned memory BAR once (later calls return the
 * same mapping), and refuses, saying why, an I/O BAR, an absent BAR and an
 * index past the last.
 */
KTEST(pci, map_bar_refuses_io_and_missing)
{
    struct pci_dev *io = NULL, *mem = NULL, *none = NULL;
    unsigned io_bar = 0, mem_bar = 0, no_bar = 0;
    char marker[48], msg[64];
    void *v;

    for (struct pci_dev *d = pci_devices(); d; d = d->next) {
        for (unsigned i = 0; i < PCI_MAX_BARS; i++) {
            const struct pci_bar *b = &d->bar[i];

            if (!b->size && !none && !(i > 0 && d->bar[i - 1].mem64)) {
                none = d;
                no_bar = i;
            } else if (b->size && b->io && !io) {
                io = d;
                io_bar = i;
            } else if (b->size && !b->io && !mem && b->size <= 0x10000) {
                mem = d;
                mem_bar = i;
            }
        }
    }
    /* QEMU's machines have all three: IDE or AHCI ports, the VGA's registers, a host bridge */
    KT_ASSERT_TRUE(io && mem && none);
    snprintf(marker, sizeof(marker), "pci ktest: map %llu",
             (unsigned long long)tsc_ns_since_boot());
    pr_info("%s", marker);
    KT_EXPECT_TRUE(pci_map_bar(io, io_bar) == NULL);
    snprintf(msg, sizeof(msg), "pci %02x:%02x.%u: BAR %u is an I/O port range", io->bus,
             io->slot, io->func, io_bar);
    KT_EXPECT_EQ(log_lines_after(marker, msg), 1u);
    KT_EXPECT_TRUE(pci_map_bar(none, no_bar) == NULL);
    snprintf(msg, sizeof(msg), "pci %02x:%02x.%u: no BAR %u", none->bus, none->slot,
             none->func, no_bar);
    KT_EXPECT_EQ(log_lines_after(marker, msg), 1u);
    KT_EXPECT_TRUE(pci_map_bar(none, PCI_MAX_BARS) == NULL);
    snprintf(msg, sizeof(msg), "pci %02x:%02x.%u: no BAR %u", none->bus, none->slot,
             none->func, PCI_MAX_BARS);
    KT_EXPECT_EQ(log_lines_after(marker, msg), 1u);
    v = pci_map_bar(mem, mem_bar);
    KT_EXPECT_TRUE(v != NULL);
    KT_EXPECT_TRUE(v == mem->bar[mem_bar].virt);
    KT_EXPECT_TRUE(pci_map_bar(mem, mem_bar) == v);
}

/*
 * The recorded capabilities are the list in configuration space, in order;
 * msi_cap, msix_cap and pcie_cap are the first of their kind; pci_find_cap
 * walks each kind with `after`.
 */
KTEST(pci, capabilities_match_config_space)
{
    for (struct pci_dev *d = pci_devices(); d; d = d->next) {
        unsigned n = 0;
        uint8_t ptr = 0;

        if (pci_cfg_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST)
            ptr = pci_cfg_read8(d, PCI_CAP_PTR) & 0xfc;
        for (; ptr && n < PCI_MAX_CAPS; n++) {
            if (n >= d->cap_count || d->caps[n].offset != ptr ||
                d->caps[n].id != pci_cfg_read8(d, ptr)) {
                ktest_fail(__FILE__, __LINE__, "%02x:%02x.%u: capability %u at %#x differs",
                           d->bus, d->slot, d->func, n, ptr);
                break;
            }
            ptr = pci_cfg_read8(d, ptr + 1) & 0xfc;
        }
        KT_EXPECT_FALSE(d->caps_truncated);
        KT_EXPECT_EQ(n, d->cap_count);
        KT_EXPECT_EQ(d->msi_cap, pci_find_cap(d, PCI_CAP_MSI, 0));
        KT_EXPECT_EQ(d->msix_cap, pci_find_cap(d, PCI_CAP_MSIX, 0));
        KT_EXPECT_EQ(d->pcie_cap, pci_find_cap(d, PCI_CAP_PCIE, 0));
        for (unsigned i = 0; i < d->cap_count; i++) {
            unsigned same = 0;

            for (unsigned j = 0; j < d->cap_count; j++)
                same += d->caps[j].id == d->caps[i].id;
            KT_EXPECT_EQ(count_caps(d, d->caps[i].id), same);
        }
        KT_EXPECT_EQ(pci_find_cap(d, 0xee, 0), 0);
        if (d->msix_cap)
            KT_EXPECT_EQ(d->msix_table_size,
                         (pci_cfg_read16(d, d->msix_cap + PCI_MSIX_CTRL) & PCI_MSIX_CTRL_SIZE_MASK) + 1);
        else
            KT_EXPECT_EQ(d->msix_table_size, 0);
    }
}

KTEST(pci, id_matches)
{
    struct pci_dev d = { .vendor = 0x8086, .device = 0x2918, .class_code = 0x06,
                         .subclass = 0x01, .prog_if = 0x00 };
    const struct pci_device_id cases[] = {
        { 0x8086, 0x2918, 0, 0, 0 },                    /* exact IDs, class ignored */
        { 0x8086, PCI_ANY, 0, 0, 0 },                   /* any device of the vendor */
        { PCI_ANY, PCI_ANY, 0x060100, 0xffff00, 0 },    /* ISA bridge, any prog-if */
        { PCI_ANY, PCI_ANY, 0x060000, 0xff0000, 0 },    /* any bridge */
        { 0x8086, 0x2918, 0x060100, 0xffffff, 0 },      /* everything */
    };
    const struct pci_device_id misses[] = {
        { 0x8086, 0x2919, 0, 0, 0 },
        { 0x1234, PCI_ANY, 0, 0, 0 },
        { PCI_ANY, 0x2918, 0x060400, 0xffff00, 0 },     /* right device, wrong class */
        { PCI_ANY, PCI_ANY, 0x060101, 0xffffff, 0 },    /* prog-if differs */
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        if (!pci_id_matches(&cases[i], &d))
            ktest_fail(__FILE__, __LINE__, "case %zu should match", i);
    for (size_t i = 0; i < ARRAY_SIZE(misses); i++)
        if (pci_id_matches(&misses[i], &d))
            ktest_fail(__FILE__, __LINE__, "miss %zu should not match", i);
}

KTEST(pci, class_and_mode_names)
{
    KT_EXPECT_STREQ(pci_class_name(0x03, 0x00), "VGA controller");
    KT_EXPECT_STREQ(pci_class_name(0x06, 0x04), "PCI bridge");
    KT_EXPECT_STREQ(pci_class_name(0x01, 0x06), "SATA controller");
    KT_EXPECT_STREQ(pci_class_name(0x01, 0x42), "Mass storage controller");
    KT_EXPECT_STREQ(pci_class_name(0x42, 0x00), "Unclassified device");
    for (unsigned c = 0; c < 256; c++)
        for (unsigned s = 0; s < 256; s++)
            if (!pci_class_name((uint8_t)c, (uint8_t)s)) {
                ktest_fail(__FILE__, __LINE__, "no name for class %02x%02x", c, s);
                return;
            }
    KT_EXPECT_STREQ(pci_irq_mode_name(PCI_IRQ_MSIX), "MSI-X");
    KT_EXPECT_STREQ(pci_irq_mode_name(PCI_IRQ_MSI), "MSI");
    KT_EXPECT_STREQ(pci_irq_mode_name(PCI_IRQ_INTX), "INTx");
    KT_EXPECT_STREQ(pci_irq_mode_name(PCI_IRQ_NONE), "none");
}

/* ---- driver model, on every machine ------------------------------------------------ */

/* What the test drivers saw. */
static struct {
    unsigned probes, removes;
    int probe_result;                   /* what probe answers */
    const struct pci_device_id *last_id;
    struct pci_dev *last_dev;
    bool remove_saw_bound;              /* remove ran while dev->driver was still set */
} td;

static int td_probe(struct pci_dev *dev, const struct pci_device_id *id)
{
    td.probes++;
    td.last_id = id;
    td.last_dev = dev;
    if (td.probe_result == 0)
        dev->driver_data = &td;
    return td.probe_result;
}

static void td_remove(struct pci_dev *dev)
{
    td.removes++;
    td.remove_saw_bound = dev->driver != NULL && dev->driver_data == &td;
}

static void td_reset(int probe_result)
{
    td.probes = td.removes = 0;
    td.probe_result = probe_result;
    td.last_id = NULL;
    td.last_dev = NULL;
    td.remove_saw_bound = false;
}

/* Every ISA bridge, any prog-if (QEMU: PIIX3 on pc, ICH9 LPC on q35). */
static const struct pci_device_id isa_ids[] = {
    { PCI_ANY, PCI_ANY, 0x060100, 0xffff00, 42 },
    { 0, 0, 0, 0, 0 },
};

static struct pci_driver isa_drv = {
    .name = "ktest-isa", .ids = isa_ids, .probe = td_probe, .remove = td_remove,
};
static struct pci_driver isa_drv2 = {
    .name = "ktest-isa2", .ids = isa_ids, .probe = td_probe, .remove = td_remove,
};

/* Unbound ISA bridges (what isa_drv may take); fails the test on QEMU if there is none. */
static unsigned unbound_isa_bridges(void)
{
    unsigned n = 0;

    for (struct pci_dev *d = pci_devices(); d; d = d->next)
        if (!d->driver && pci_id_matches(&isa_ids[0], d))
            n++;
    if (on_machine(DEVICE_Q35_HOST) || on_machine(DEVICE_I440FX_HOST))
        KT_ASSERT_GE(n, 1u);
    return n;
}

KTEST(pci, driver_binds_by_class_then_unbinds)
{
    unsigned want = unbound_isa_bridges();

    td_reset(0);
    KT_ASSERT_EQ(pci_register_driver(&isa_drv), (int)want);
    KT_EXPECT_EQ(td.probes, want);
    KT_EXPECT_TRUE(td.last_id == &isa_ids[0]);
    for (struct pci_dev *d = pci_devices(); d; d = d->next) {
        if (!pci_id_matches(&isa_ids[0], d))
            continue;
        KT_EXPECT_TRUE(d->driver == &isa_drv);
        KT_EXPECT_TRUE(d->driver_data == &td);
        KT_EXPECT_EQ(d->probe_error, 0);
    }
    /* registered twice: refused, nothing probed again */
    KT_EXPECT_EQ(pci_register_driver(&isa_drv), -EEXIST);
    KT_EXPECT_EQ(td.probes, want);

    pci_unregister_driver(&isa_drv);
    KT_EXPECT_EQ(td.removes, want);
    KT_EXPECT_TRUE(td.remove_saw_bound);
    for (struct pci_dev *d = pci_devices(); d; d = d->next) {
        KT_EXPECT_TRUE(d->driver != &isa_drv);
        if (pci_id_matches(&isa_ids[0], d)) {
            KT_EXPECT_TRUE(d->driver == NULL);
            KT_EXPECT_TRUE(d->driver_data == NULL);
        }
    }
    /* forgotten for good: it registers (and binds) again, and goes again */
    KT_EXPECT_EQ(pci_register_driver(&isa_drv), (int)want);
    pci_unregister_driver(&isa_drv);
    pci_unregister_driver(&isa_drv);        /* not registered: nothing happens */
    KT_EXPECT_EQ(td.removes, 2 * want);
}

KTEST(pci, first_driver_keeps_the_device)
{
    unsigned want = unbound_isa_bridges();

    td_reset(0);
    KT_ASSERT_EQ(pci_register_driver(&isa_drv), (int)want);
    KT_EXPECT_EQ(pci_register_driver(&isa_drv2), 0);
    KT_EXPECT_EQ(td.probes, want);          /* the bound devices were not offered */
    for (struct pci_dev *d = pci_devices(); d; d = d->next)
        if (pci_id_matches(&isa_ids[0], d))
            KT_EXPECT_TRUE(d->driver == &isa_drv);
    pci_unregister_driver(&isa_drv2);
    KT_EXPECT_EQ(td.removes, 0u);
    pci_unregister_driver(&isa_drv);
    KT_EXPECT_EQ(td.removes, want);
}

KTEST(pci, failed_probe_leaves_the_device_unbound)
{
    unsigned want = unbound_isa_bridges();

    td_reset(-EIO);
    KT_ASSERT_EQ(pci_register_driver(&isa_drv), 0);
    KT_EXPECT_EQ(td.probes, want);
    for (struct pci_dev *d = pci_devices(); d; d = d->next) {
        if (!pci_id_matches(&isa_ids[0], d) || d->driver)
            continue;
        KT_EXPECT_EQ(d->probe_error, -EIO);
        KT_EXPECT_TRUE(d->driver_data == NULL);
    }
    /* a later driver that takes it clears the error */
    td_reset(0);
    KT_EXPECT_EQ(pci_register_driver(&isa_drv2), (int)want);
    if (td.last_dev) {
        KT_EXPECT_TRUE(td.last_dev->driver == &isa_drv2);
        KT_EXPECT_EQ(td.last_dev->probe_error, 0);
    }
    pci_unregister_driver(&isa_drv2);
    pci_unregister_driver(&isa_drv);
    KT_EXPECT_EQ(td.removes, want);         /* only the driver that bound is told */
}

KTEST(pci, register_driver_rejects_bad_drivers)
{
    struct pci_driver no_name = { .ids = isa_ids, .probe = td_probe };
    struct pci_driver no_ids = { .name = "ktest-bad", .probe = td_probe };
    struct pci_driver no_probe = { .name = "ktest-bad", .ids = isa_ids };

    td_reset(0);
    KT_EXPECT_EQ(pci_register_driver(NULL), -EINVAL);
    KT_EXPECT_EQ(pci_register_driver(&no_name), -EINVAL);
    KT_EXPECT_EQ(pci_register_driver(&no_ids), -EINVAL);
    KT_EXPECT_EQ(pci_register_driver(&no_probe), -EINVAL);
    KT_EXPECT_EQ(td.probes, 0u);
}

/* ---- the shell command, on every machine ----------------------------------------- */

static char out[8192];

static int run(const char *line)
{
    return shell_execute_captured(line, out, sizeof(out));
}

/* Copies the output line that starts with prefix into line (empty if none). */
static void out_line(const char *prefix, char *line, size_t size)
{
    const char *p = out;
    size_t n = 0;

    line[0] = '\0';
    while (p && strncmp(p, prefix, strlen(prefix)) != 0)
        if ((p = strchr(p, '\n')))
            p++;
    if (!p)
        return;
    while (p[n] && p[n] != '\n' && n + 1 < size)
        n++;
    memcpy(line, p, n);
    line[n] = '\0';
}

KTEST(pci, shell_lists_every_function)
{
    char prefix[16], line[160], total[64];
    unsigned want = unbound_isa_bridges();

    KT_ASSERT_EQ(run("pci"), 0);
    for (const struct pci_dev *d = pci_devices(); d; d = d->next) {
        snprintf(prefix, sizeof(prefix), "%02x:%02x.%u ", d->bus, d->slot, d->func);
        out_line(prefix, line, sizeof(line));
        if (!line[0]) {
            ktest_fail(__FILE__, __LINE__, "no line for %s: \"%s\"", prefix, out);
            continue;
        }
        snprintf(prefix, sizeof(prefix), "%04x:%04x", d->vendor, d->device);
        KT_EXPECT_HAS(line, prefix);
        KT_EXPECT_HAS(line, pci_class_name(d->class_code, d->subclass));
        KT_EXPECT_HAS(line, d->driver ? d->driver->name : "(no driver)");
    }
    snprintf(total, sizeof(total), "%zu functions, configuration through %s\n",
             pci_device_count(), pci_cfg_using_ecam() ? "ECAM" : "the 0xCF8 ports");
    KT_EXPECT_HAS(out, total);

    /* a bound device shows its driver */
    td_reset(0);
    KT_ASSERT_EQ(pci_register_driver(&isa_drv), (int)want);
    KT_EXPECT_EQ(run("pci"), 0);
    if (td.last_dev) {
        snprintf(prefix, sizeof(prefix), "%02x:%02x.%u ", td.last_dev->bus,
                 td.last_dev->slot, td.last_dev->func);
        out_line(prefix, line, sizeof(line));
        KT_EXPECT_HAS(line, "  ktest-isa");
        KT_EXPECT_TRUE(strstr(line, "(no driver)") == NULL);
    }
    pci_unregister_driver(&isa_drv);
}

KTEST(pci, shell_verbose_shows_bars_and_capabilities)
{
    char text[48];

    KT_ASSERT_EQ(run("pci -v"), 0);
    for (const struct pci_dev *d = pci_devices(); d; d = d->next) {
        for (unsigned i = 0; i < PCI_MAX_BARS; i++) {
            if (!d->bar[i].size)
                continue;
            snprintf(text, sizeof(text), "BAR%u: %s at %#llx, %llu bytes", i,
                     d->bar[i].io ? "I/O ports" : d->bar[i].mem64 ? "memory (64-bit)"
                     : "memory (32-bit)", (unsigned long long)d->bar[i].base,
                     (unsigned long long)d->bar[i].size);
            KT_EXPECT_HAS(out, text);
        }
        for (unsigned i = 0; i < d->cap_count; i++) {
            snprintf(text, sizeof(text), " %02x@%02x", d->caps[i].id, d->caps[i].offset);
            KT_EXPECT_HAS(out, text);
        }
    }
}

KTEST(pci, shell_rejects_bad_arguments)
{
    KT_EXPECT_EQ(run("pci bogus"), SHELL_USAGE);
    KT_EXPECT_HAS(out, "pci: unknown argument 'bogus'");
    KT_EXPECT_HAS(out, "usage: pci [-v]");
    KT_EXPECT_EQ(run("pci -v -v"), SHELL_USAGE);
    KT_EXPECT_HAS(out, "usage: pci [-v]");
    KT_EXPECT_EQ(run("pci -v; echo still here"), 0);
    KT_EXPECT_HAS(out, "still here\n");
}

/* ---- QEMU's machines as they are (manual: run by the pci.topology.* entries) ------- */

struct expected_fn {
    uint8_t slot, func;
    uint16_t vendor, device;
    uint32_t class24;               /* class, subclass, prog-if */
    uint8_t header;                 /* byte 0x0e as read, with the multi-function bit */
};

/* The whole list is exactly want[0..n), in this order, all on bus 0. */
static void expect_functions(const struct expected_fn *want, size_t n)
{
    const struct pci_dev *d = pci_devices();

    KT_EXPECT_EQ(pci_device_count(), n);
    for (size_t i = 0; i < n; i++, d = d->next) {
        const struct expected_fn *w = &want[i];

        if (!d) {
            ktest_fail(__FILE__, __LINE__, "only %zu functions, expected %zu", i, n);
            return;
        }
        if (d->bus != 0 || d->slot != w->slot || d->func != w->func ||
            d->vendor != w->vendor || d->device != w->device || class24(d) != w->class24 ||
            pci_cfg_read8(d, PCI_HEADER_TYPE) != w->header ||
            d->header_type != (w->header & 0x7f))
            ktest_fail(__FILE__, __LINE__, "function %zu is %02x:%02x.%u %04x:%04x class %06x "
                       "header %02x; expected 00:%02x.%u %04x:%04x class %06x header %02x", i,
                       d->bus, d->slot, d->func, d->vendor, d->device, class24(d),
                       pci_cfg_read8(d, PCI_HEADER_TYPE), w->slot, w->func, w->vendor,
                       w->device, w->class24, w->header);
    }
    if (d)
        ktest_fail(__FILE__, __LINE__, "more functions than expected: %02x:%02x.%u", d->bus,
                   d->slot, d->func);
}

/* The configuration mechanism: ECAM on q35 unless pci.noecam, the ports on pc. */
static void expect_mechanism(bool ecam)
{
    KT_EXPECT_EQ(pci_cfg_using_ecam(), ecam);
    for (const struct pci_dev *d = pci_devices(); d; d = d->next) {
        KT_EXPECT_EQ(d->cfg_size, ecam ? PCI_CFG_SIZE_ECAM : PCI_CFG_SIZE_LEGACY);
        KT_EXPECT_EQ(d->ecam != NULL, ecam);
        for (uint16_t off = 0; off < PCI_CFG_SIZE_LEGACY; off += 4)
            if (pci_cfg_read32(d, off) != pci_cfg_read32_ports(d->bus, d->slot, d->func,
                                                                (uint8_t)off)) {
                ktest_fail(__FILE__, __LINE__, "%02x:%02x.%u differs from the ports at %#x",
                           d->bus, d->slot, d->func, off);
                break;
            }
    }
}

/*
 * QEMU's standard VGA: BAR0 a 16 MiB prefetchable framebuffer, BAR2 4 KiB
 * of registers. Sizing left it decoding: the Bochs VBE ID register (MMIO
 * 0x500) still answers 0xB0Cx through BAR2.
 */
static void expect_std_vga(void)
{
    struct pci_dev *vga = need_one(VENDOR_BOCHS, DEVICE_STD_VGA);
    const struct pci_bar *fb = &vga->bar[0], *regs = &vga->bar[2];
    volatile uint16_t *mmio;

    KT_EXPECT_TRUE(!fb->io && !fb->mem64 && fb->prefetch);
    KT_EXPECT_EQ(fb->size, 16u << 20);
    KT_EXPECT_EQ(pci_cfg_read32(vga, PCI_BAR0), (uint32_t)fb->base | 0x8u);
    KT_EXPECT_TRUE(!regs->io && !regs->mem64 && !regs->prefetch);
    KT_EXPECT_EQ(regs->size, 4096u);
    KT_EXPECT_EQ(vga->bar[1].size + vga->bar[3].size + vga->bar[4].size + vga->bar[5].size, 0u);
    KT_EXPECT_TRUE(pci_cfg_read16(vga, PCI_COMMAND) & PCI_CMD_MEMORY);
    KT_EXPECT_EQ(vga->cap_count, 0);
    mmio = pci_map_bar(vga, 2);
    KT_ASSERT_NOT_NULL(mmio);
    KT_EXPECT_EQ(mmio[0x500 / 2] & 0xfff0u, 0xb0c0u);
}

KTEST_F(pci, topology_pc, KTEST_MANUAL)
{
    static const struct expected_fn pc[] = {
        { 0x00, 0, VENDOR_INTEL, DEVICE_I440FX_HOST, 0x060000, 0x00 },
        { 0x01, 0, VENDOR_INTEL, 0x7000, 0x060100, 0x80 },     /* PIIX3 ISA */
        { 0x01, 1, VENDOR_INTEL, 0x7010, 0x010180, 0x00 },     /* PIIX3 IDE */
        { 0x01, 3, VENDOR_INTEL, 0x7113, 0x068000, 0x00 },     /* PIIX4 ACPI/PM */
        { 0x02, 0, VENDOR_BOCHS, DEVICE_STD_VGA, 0x030000, 0x00 },
    };
    struct pci_dev *ide = pci_find(0, 1, 1);

    KT_ASSERT_TRUE(on_machine(DEVICE_I440FX_HOST));
    expect_functions(pc, ARRAY_SIZE(pc));
    expect_mechanism(false);
    expect_std_vga();
    /* IDE in compatibility mode: only the bus-master block, BAR4, 16 ports */
    KT_ASSERT_NOT_NULL(ide);
    KT_EXPECT_TRUE(ide->bar[4].io);
    KT_EXPECT_EQ(ide->bar[4].size, 16u);
    KT_EXPECT_TRUE(pci_map_bar(ide, 4) == NULL);
    KT_EXPECT_TRUE(pci_map_bar(ide, 0) == NULL);
    for (const struct pci_dev *d = pci_devices(); d; d = d->next)
        KT_EXPECT_EQ(d->cap_count, 0);      /* nothing on pc has a capability list */
}

KTEST_F(pci, topology_q35, KTEST_MANUAL)
{
    static const struct expected_fn q35[] = {
        { 0x00, 0, VENDOR_INTEL, DEVICE_Q35_HOST, 0x060000, 0x00 },
        { 0x01, 0, VENDOR_BOCHS, DEVICE_STD_VGA, 0x030000, 0x00 },
        { 0x1f, 0, VENDOR_INTEL, 0x2918, 0x060100, 0x80 },     /* ICH9 LPC */
        { 0x1f, 2, VENDOR_INTEL, DEVICE_ICH9_AHCI, 0x010601, 0x80 },
        { 0x1f, 3, VENDOR_INTEL, 0x2930, 0x0c0500, 0x80 },     /* ICH9 SMBus */
    };
    struct pci_dev *ahci = pci_find(0, 0x1f, 2), *smbus = pci_find(0, 0x1f, 3);
    bool noecam = cmdline_has(cmdline_boot(), "pci.noecam");

    KT_ASSERT_TRUE(on_machine(DEVICE_Q35_HOST));
    expect_functions(q35, ARRAY_SIZE(q35));
    expect_mechanism(!noecam);
    expect_std_vga();
    /* AHCI: the legacy-free port block in BAR4, the registers (ABAR) in BAR5 */
    KT_ASSERT_NOT_NULL(ahci);
    KT_EXPECT_TRUE(ahci->bar[4].io);
    KT_EXPECT_EQ(ahci->bar[4].size, 32u);
    KT_EXPECT_TRUE(!ahci->bar[5].io && !ahci->bar[5].mem64);
    KT_EXPECT_EQ(ahci->bar[5].size, 4096u);
    KT_EXPECT_EQ(ahci->cap_count, 2);
    KT_EXPECT_EQ(ahci->msi_cap, 0x80);
    KT_EXPECT_EQ(pci_find_cap(ahci, PCI_CAP_SATA, 0), 0xa8);
    KT_EXPECT_EQ(ahci->msix_cap + ahci->pcie_cap, 0);
    KT_EXPECT_EQ(ahci->irq_pin, 1);
    KT_ASSERT_NOT_NULL(smbus);
    KT_EXPECT_TRUE(smbus->bar[4].io);
    KT_EXPECT_EQ(smbus->bar[4].size, 64u);
    if (!noecam) {
        /* ECAM reaches past 256 bytes; a conventional function reads all ones there */
        KT_EXPECT_EQ(pci_cfg_read32(ahci, 0x100), 0xffffffffu);
        KT_EXPECT_EQ(pci_cfg_read32(ahci, PCI_CFG_SIZE_ECAM - 4), 0xffffffffu);
    }
}

/* ---- devices added by the ctest entries (manual) ------------------------------------ */

/* Walks d's virtio vendor capabilities; returns the one of cfg_type type (0: none). */
static uint8_t virtio_cap(const struct pci_dev *d, uint8_t type, unsigned *count)
{
    uint8_t found = 0;

    *count = 0;
    for (uint8_t off = pci_find_cap(d, PCI_CAP_VENDOR, 0); off;
         off = pci_find_cap(d, PCI_CAP_VENDOR, off)) {
        (*count)++;
        if (pci_cfg_read8(d, off + VIRTIO_CAP_TYPE) == type && !found)
            found = off;
    }
    return found;
}

/*
 * virtio-rng-pci as QEMU 7.2 builds it: transitional (1af4:1005, I/O BAR0
 * of 32 bytes) on a conventional bus and on q35's root bus, modern-only
 * (1af4:1044) behind a PCIe port. Both: BAR1 4 KiB for MSI-X, BAR4 a
 * 64-bit prefetchable 16 KiB for the virtio structures; an MSI-X
 * capability with 2 vectors and five vendor capabilities (virtio
 * structures 1-5 once each). The common structure answers through BAR4:
 * one queue.
 */
static void expect_virtio_rng(struct pci_dev *d)
{
    bool modern = d->device == DEVICE_VIRTIO_RNG;
    const struct pci_bar *b4 = &d->bar[4];
    unsigned vendor_caps = 0, n;
    uint8_t common;
    void *bar;
    volatile uint16_t *num_queues;

    KT_ASSERT_EQ(d->vendor, VENDOR_VIRTIO);
    KT_ASSERT_TRUE(modern || d->device == DEVICE_VIRTIO_RNG_TRANS);
    KT_EXPECT_EQ(d->header_type, 0);
    /* BARs */
    KT_EXPECT_TRUE(b4->mem64 && b4->prefetch && !b4->io);
    KT_EXPECT_EQ(b4->size, 16384u);
    KT_EXPECT_EQ(d->bar[5].size, 0u);       /* BAR4's upper half */
    KT_EXPECT_EQ(d->bar[1].size, 4096u);
    KT_EXPECT_TRUE(!d->bar[1].io && !d->bar[1].mem64);
    KT_EXPECT_EQ(d->bar[2].size + d->bar[3].size, 0u);
    if (modern) {
        KT_EXPECT_EQ(d->bar[0].size, 0u);
        KT_EXPECT_TRUE(pci_map_bar(d, 0) == NULL);
    } else {
        KT_EXPECT_TRUE(d->bar[0].io);
        KT_EXPECT_EQ(d->bar[0].size, 32u);
        KT_EXPECT_TRUE(pci_map_bar(d, 0) == NULL);     /* I/O ports are not mapped */
    }
    KT_EXPECT_TRUE(pci_map_bar(d, 2) == NULL);
    KT_EXPECT_TRUE(pci_map_bar(d, 5) == NULL);
    /* capabilities */
    KT_EXPECT_NE(d->msix_cap, 0);
    KT_EXPECT_EQ(d->msix_table_size, 2);
    KT_EXPECT_EQ(pci_cfg_read32(d, d->msix_cap + PCI_MSIX_TABLE) & 7u, 1u);  /* table in BAR1 */
    KT_EXPECT_EQ(d->msi_cap, 0);
    KT_EXPECT_EQ(count_caps(d, PCI_CAP_MSIX), 1u);
    KT_EXPECT_EQ(count_caps(d, PCI_CAP_VENDOR), 5u);
    for (uint8_t type = VIRTIO_CAP_COMMON; type <= VIRTIO_CAP_PCI_CFG; type++) {
        KT_EXPECT_NE(virtio_cap(d, type, &n), 0);
        vendor_caps = n;
    }
    KT_EXPECT_EQ(vendor_caps, 5u);
    KT_EXPECT_EQ(d->cap_count, modern && d->pcie_cap ? 8u : 6u);
    /* the device decodes its 64-bit BAR where enumeration left it */
    common = virtio_cap(d, VIRTIO_CAP_COMMON, &n);
    KT_ASSERT_NE(common, 0);
    KT_ASSERT_EQ(pci_cfg_read8(d, common + VIRTIO_CAP_BAR), 4);
    pci_enable_device(d);
    bar = pci_map_bar(d, 4);
    KT_ASSERT_NOT_NULL(bar);
    KT_EXPECT_TRUE(pci_map_bar(d, 4) == bar);
    num_queues = (volatile uint16_t *)((uintptr_t)bar +
                                       pci_cfg_read32(d, common + VIRTIO_CAP_OFFSET) +
                                       VIRTIO_COMMON_NUM_QUEUES);
    KT_EXPECT_EQ(*num_queues, 1);
}

/*
 * The bridge's windows (I/O, memory, prefetchable memory) hold every BAR of
 * the function behind it: the one found there really is behind it.
 */
static void expect_inside_windows(const struct pci_dev *br, const struct pci_dev *d)
{
    for (unsigned i = 0; i < PCI_MAX_BARS; i++) {
        const struct pci_bar *b = &d->bar[i];
        uint64_t lo, hi, plo = 1, phi = 0;
        uint16_t base, limit;

        if (!b->size)
            continue;
        if (b->io) {
            base = pci_cfg_read8(br, BR_IO_BASE);
            limit = pci_cfg_read8(br, BR_IO_LIMIT);
            lo = (uint64_t)(base & 0xf0) << 8;
            hi = ((uint64_t)(limit & 0xf0) << 8) | 0xfff;
            if ((base & 0xf) == 1) {        /* 32-bit I/O addressing */
                lo |= (uint64_t)pci_cfg_read16(br, BR_IO_BASE_HI) << 16;
                hi |= (uint64_t)pci_cfg_read16(br, BR_IO_LIMIT_HI) << 16;
            }
        } else {
            base = pci_cfg_read16(br, BR_MEM_BASE);
            limit = pci_cfg_read16(br, BR_MEM_LIMIT);
            lo = (uint64_t)(base & 0xfff0) << 16;
            hi = ((uint64_t)(limit & 0xfff0) << 16) | 0xfffff;
            if (b->prefetch) {
                base = pci_cfg_read16(br, BR_PREF_BASE);
                limit = pci_cfg_read16(br, BR_PREF_LIMIT);
                plo = (uint64_t)(base & 0xfff0) << 16;
                phi = ((uint64_t)(limit & 0xfff0) << 16) | 0xfffff;
                if ((base & 0xf) == 1) {    /* 64-bit prefetchable window */
                    plo |= (uint64_t)pci_cfg_read32(br, BR_PREF_BASE_HI) << 32;
                    phi |= (uint64_t)pci_cfg_read32(br, BR_PREF_LIMIT_HI) << 32;
                }
            }
        }
        /* a prefetchable BAR may sit in either memory window */
        if (!(b->base >= lo && b->base + b->size - 1 <= hi) &&
            !(b->base >= plo && b->base + b->size - 1 <= phi))
            ktest_fail(__FILE__, __LINE__, "%02x:%02x.%u BAR%u [%#llx, +%#llx) is outside the "
                       "windows of bridge %02x:%02x.%u", d->bus, d->slot, d->func, i,
                       (unsigned long long)b->base, (unsigned long long)b->size, br->bus,
                       br->slot, br->func);
    }
}

/*
 * A bridge and the function behind it at slot:0 of its secondary bus: the
 * bus numbers in the bridge, the function listed right after the bridge,
 * its BARs inside the bridge's windows. Returns the function.
 */
static struct pci_dev *expect_behind_bridge(struct pci_dev *br, uint8_t slot)
{
    struct pci_dev *d;
    uint8_t sec = br->secondary_bus;

    KT_EXPECT_EQ(br->header_type, 1);
    KT_EXPECT_EQ(class24(br) >> 8, 0x0604u);
    KT_ASSERT_GT(sec, br->bus);
    KT_EXPECT_EQ(pci_cfg_read8(br, PCI_PRIMARY_BUS), br->bus);
    KT_EXPECT_EQ(pci_cfg_read8(br, PCI_SECONDARY_BUS), sec);
    KT_EXPECT_GE(pci_cfg_read8(br, PCI_SUBORDINATE_BUS), sec);
    d = pci_find(sec, slot, 0);
    if (!d) {
        ktest_fail(__FILE__, __LINE__, "nothing at %02x:%02x.0 behind bridge %02x:%02x.%u",
                   sec, slot, br->bus, br->slot, br->func);
        ktest_abort();
    }
    KT_EXPECT_TRUE(br->next == d);          /* enumeration goes depth first */
    KT_EXPECT_EQ(pci_cfg_read32_ports(sec, slot, 0, PCI_VENDOR_ID),
                 ((uint32_t)d->device << 16) | d->vendor);
    expect_inside_windows(br, d);
    return d;
}

/* A handler for vectors that are requested but never raised. */
static bool never_called(void *ctx)
{
    (void)ctx;
    return false;
}

static bool msix_masked(volatile uint32_t *table, unsigned entry)
{
    return table[entry * 4 + PCI_MSIX_ENTRY_CTRL] & PCI_MSIX_ENTRY_MASKED;
}

/*
 * pci_irq_alloc and pci_irq_request with MSI-X on a function nobody owns:
 * the count capped by max and by the table, -EBUSY while allocated, one
 * distinct CPU vector per entry, each entry holding the boot CPU's address
 * and its vector and unmasked, the rest masked; pci_irq_free masks every
 * entry, turns MSI-X off and gives the vectors back (300 vectors go
 * through 192 dynamic ones).
 */
static void expect_msix_alloc(struct pci_dev *d)
{
    uint16_t cmd = pci_cfg_read16(d, PCI_COMMAND);
    unsigned table = d->msix_table_size, want = table < 3 ? table : 3;
    volatile uint32_t *t;
    int rc;

    need_unbound(d);
    KT_ASSERT_NE(d->msix_cap, 0);
    rc = pci_irq_alloc(d, 1, 3, PCI_IRQ_ALLOW_MSIX);
    KT_ASSERT_EQ(rc, (int)want);
    KT_EXPECT_EQ((int)d->irq_mode, PCI_IRQ_MSIX);
    KT_EXPECT_EQ(d->irq_count, want);
    KT_EXPECT_EQ(pci_irq_alloc(d, 1, 1, PCI_IRQ_ALLOW_ALL), -EBUSY);
    t = d->msix_table;
    KT_ASSERT_NOT_NULL(t);
    KT_EXPECT_TRUE(pci_cfg_read16(d, d->msix_cap + PCI_MSIX_CTRL) & PCI_MSIX_CTRL_ENABLE);
    KT_EXPECT_FALSE(pci_cfg_read16(d, d->msix_cap + PCI_MSIX_CTRL) & PCI_MSIX_CTRL_FUNC_MASK);
    KT_EXPECT_TRUE(pci_cfg_read16(d, PCI_COMMAND) & PCI_CMD_INTX_DISABLE);
    for (unsigned i = 0; i < table; i++)
        KT_EXPECT_TRUE(msix_masked(t, i));     /* all masked until requested */

    for (unsigned i = 0; i < want; i++) {
        KT_ASSERT_EQ(pci_irq_request(d, i, never_called, NULL, "ktest-msix"), 0);
        KT_EXPECT_GE(d->irq_vector[i], IRQ_VEC_DYNAMIC_FIRST);
        KT_EXPECT_LE(d->irq_vector[i], IRQ_VEC_DYNAMIC_LAST);
        KT_EXPECT_GE(d->irq_handle[i], 0);
        for (unsigned j = 0; j < i; j++)
            KT_EXPECT_NE(d->irq_vector[i], d->irq_vector[j]);
        KT_EXPECT_EQ(t[i * 4 + PCI_MSIX_ENTRY_ADDR_LO], expected_msi_address());
        KT_EXPECT_EQ(t[i * 4 + PCI_MSIX_ENTRY_ADDR_HI], 0u);
        KT_EXPECT_EQ(t[i * 4 + PCI_MSIX_ENTRY_DATA], (uint32_t)d->irq_vector[i]);
        KT_EXPECT_FALSE(msix_masked(t, i));
    }
    for (unsigned i = want; i < table; i++)
        KT_EXPECT_TRUE(msix_masked(t, i));
    KT_EXPECT_EQ(pci_irq_request(d, 0, never_called, NULL, "ktest-msix"), -EBUSY);
    KT_EXPECT_EQ(pci_irq_request(d, want, never_called, NULL, "ktest-msix"), -EINVAL);
    KT_EXPECT_EQ(pci_irq_request(d, PCI_MSIX_MAX_VECTORS, never_called, NULL, "x"), -EINVAL);

    pci_irq_free(d);
    KT_EXPECT_EQ((int)d->irq_mode, PCI_IRQ_NONE);
    KT_EXPECT_EQ(d->irq_count, 0u);
    for (unsigned i = 0; i < PCI_MSIX_MAX_VECTORS; i++)
        KT_EXPECT_EQ(d->irq_handle[i], -1);
    for (unsigned i = 0; i < table; i++)
        KT_EXPECT_TRUE(msix_masked(t, i));
    KT_EXPECT_FALSE(pci_cfg_read16(d, d->msix_cap + PCI_MSIX_CTRL) & PCI_MSIX_CTRL_ENABLE);
    KT_EXPECT_EQ(pci_irq_request(d, 0, never_called, NULL, "ktest-msix"), -EINVAL);

    /* the best allowed mode, as many vectors as the table has */
    KT_EXPECT_EQ(pci_irq_alloc(d, 1, PCI_MSIX_MAX_VECTORS, PCI_IRQ_ALLOW_ALL), (int)table);
    KT_EXPECT_EQ((int)d->irq_mode, PCI_IRQ_MSIX);
    pci_irq_free(d);
    /* more than the table: MSI-X cannot, and nothing else is allowed */
    KT_EXPECT_EQ(pci_irq_alloc(d, table + 1, table + 1, PCI_IRQ_ALLOW_MSIX), -ENODEV);
    KT_EXPECT_EQ((int)d->irq_mode, PCI_IRQ_NONE);

    for (unsigned round = 0; round < 100; round++) {
        rc = pci_irq_alloc(d, want, want, PCI_IRQ_ALLOW_MSIX);
        if (rc != (int)want) {
            ktest_fail(__FILE__, __LINE__, "round %u: pci_irq_alloc gave %d", round, rc);
            break;
        }
        for (unsigned i = 0; i < want && rc >= 0; i++)
            rc = pci_irq_request(d, i, never_called, NULL, "ktest-msix");
        pci_irq_free(d);
        if (rc != 0) {
            ktest_fail(__FILE__, __LINE__, "round %u: pci_irq_request gave %d", round, rc);
            break;
        }
    }
    pci_cfg_write16(d, PCI_COMMAND, cmd);
}

/* pci_irq_alloc's argument checks, on any function. */
static void expect_irq_bad_args(struct pci_dev *d)
{
    need_unbound(d);
    KT_EXPECT_EQ(pci_irq_alloc(d, 0, 1, PCI_IRQ_ALLOW_ALL), -EINVAL);
    KT_EXPECT_EQ(pci_irq_alloc(d, 2, 1, PCI_IRQ_ALLOW_ALL), -EINVAL);
    KT_EXPECT_EQ(pci_irq_alloc(d, 1, PCI_MSIX_MAX_VECTORS + 1, PCI_IRQ_ALLOW_ALL), -EINVAL);
    KT_EXPECT_EQ(pci_irq_alloc(d, 1, 1, 0), -EINVAL);
    KT_EXPECT_EQ(pci_irq_request(d, 0, never_called, NULL, "ktest"), -EINVAL);
    KT_EXPECT_EQ((int)d->irq_mode, PCI_IRQ_NONE);
}

/*
 * MSI on a function with MSI and no MSI-X: exactly one vector, the message
 * address and data in the capability, MSI on with one message, INTx off;
 * pci_irq_free turns MSI off. With per-vector masking, a vector left
 * masked (as firmware may leave it) is unmasked by pci_irq_request.
 */
static void expect_msi_alloc(struct pci_dev *d)
{
    uint16_t cmd = pci_cfg_read16(d, PCI_COMMAND), ctrl;
    uint8_t cap = d->msi_cap, mask_off;

    need_unbound(d);
    KT_ASSERT_NE(cap, 0);
    KT_ASSERT_EQ(d->msix_cap, 0);
    ctrl = pci_cfg_read16(d, cap + PCI_MSI_CTRL);
    mask_off = cap + (ctrl & PCI_MSI_CTRL_64BIT ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32);
    if (ctrl & PCI_MSI_CTRL_PVM)
        pci_cfg_write32(d, mask_off, 1);
    KT_EXPECT_EQ(pci_irq_alloc(d, 1, 1, PCI_IRQ_ALLOW_MSIX), -ENODEV);
    KT_EXPECT_EQ(pci_irq_alloc(d, 2, 4, PCI_IRQ_ALLOW_MSI | PCI_IRQ_ALLOW_INTX), -ENODEV);
    KT_ASSERT_EQ(pci_irq_alloc(d, 1, 4, PCI_IRQ_ALLOW_ALL), 1);
    KT_EXPECT_EQ((int)d->irq_mode, PCI_IRQ_MSI);
    KT_EXPECT_EQ(pci_irq_alloc(d, 1, 1, PCI_IRQ_ALLOW_ALL), -EBUSY);
    KT_EXPECT_EQ(pci_irq_request(d, 1, never_called, NULL, "ktest-msi"), -EINVAL);
    KT_ASSERT_EQ(pci_irq_request(d, 0, never_called, NULL, "ktest-msi"), 0);
    KT_EXPECT_GE(d->irq_vector[0], IRQ_VEC_DYNAMIC_FIRST);
    KT_EXPECT_LE(d->irq_vector[0], IRQ_VEC_DYNAMIC_LAST);
    ctrl = pci_cfg_read16(d, cap + PCI_MSI_CTRL);
    KT_EXPECT_TRUE(ctrl & PCI_MSI_CTRL_ENABLE);
    KT_EXPECT_EQ(ctrl & PCI_MSI_CTRL_MME_MASK, 0u);
    KT_EXPECT_EQ(pci_cfg_read32(d, cap + PCI_MSI_ADDR_LO), expected_msi_address());
    if (ctrl & PCI_MSI_CTRL_64BIT) {
        KT_EXPECT_EQ(pci_cfg_read32(d, cap + PCI_MSI_ADDR_HI), 0u);
        KT_EXPECT_EQ(pci_cfg_read16(d, cap + PCI_MSI_DATA_64), d->irq_vector[0]);
    } else {
        KT_EXPECT_EQ(pci_cfg_read16(d, cap + PCI_MSI_DATA_32), d->irq_vector[0]);
    }
    if (ctrl & PCI_MSI_CTRL_PVM)
        KT_EXPECT_EQ(pci_cfg_read32(d, mask_off) & 1u, 0u);
    KT_EXPECT_TRUE(pci_cfg_read16(d, PCI_COMMAND) & PCI_CMD_INTX_DISABLE);
    pci_irq_free(d);
    KT_EXPECT_FALSE(pci_cfg_read16(d, cap + PCI_MSI_CTRL) & PCI_MSI_CTRL_ENABLE);
    KT_EXPECT_EQ((int)d->irq_mode, PCI_IRQ_NONE);
    pci_cfg_write16(d, PCI_COMMAND, cmd);
}

/* The I/O APIC entry behind the vector whose first handler is named name, or 0 if none. */
static uint64_t ioapic_entry_of(const char *name, uint32_t *gsi)
{
    struct irq_vector_stats st[64];
    uint64_t entry = 0;

    for (size_t i = 0, n = irq_stats(st, ARRAY_SIZE(st)); i < n; i++) {
        if (st[i].name && strcmp(st[i].name, name) == 0 && st[i].gsi != UINT32_MAX) {
            *gsi = st[i].gsi;
            if (ioapic_read_entry(st[i].gsi, &entry) != 0)
                entry = 0;
            return entry;
        }
    }
    return 0;
}

/*
 * INTx when only INTx is allowed: one shared handler on the firmware's
 * line, routed level-triggered (PCI interrupts are) and unmasked in the
 * I/O APIC, INTx enabled in the command register while requested and
 * disabled again by pci_irq_free.
 */
static void expect_intx_alloc(struct pci_dev *d)
{
    uint16_t cmd = pci_cfg_read16(d, PCI_COMMAND);
    uint32_t gsi = UINT32_MAX;
    uint64_t entry;

    need_unbound(d);
    KT_ASSERT_NE(d->irq_pin, 0);
    pci_cfg_write16(d, PCI_COMMAND, cmd | PCI_CMD_INTX_DISABLE);  /* as MSI leaves it */
    KT_EXPECT_EQ(pci_irq_alloc(d, 2, 2, PCI_IRQ_ALLOW_INTX), -ENODEV);
    KT_ASSERT_EQ(pci_irq_alloc(d, 1, 8, PCI_IRQ_ALLOW_INTX), 1);
    KT_EXPECT_EQ((int)d->irq_mode, PCI_IRQ_INTX);
    KT_ASSERT_EQ(pci_irq_request(d, 0, never_called, NULL, "ktest-intx"), 0);
    KT_EXPECT_GE(d->irq_handle[0], 0);
    KT_EXPECT_FALSE(pci_cfg_read16(d, PCI_COMMAND) & PCI_CMD_INTX_DISABLE);
    entry = ioapic_entry_of("ktest-intx", &gsi);
    KT_EXPECT_NE(entry, 0u);
    KT_EXPECT_TRUE(entry & IOAPIC_ENTRY_LEVEL);
    KT_EXPECT_FALSE(entry & IOAPIC_ENTRY_MASKED);
    KT_EXPECT_EQ(pci_irq_request(d, 0, never_called, NULL, "ktest-intx"), -EBUSY);
    pci_irq_free(d);
    KT_EXPECT_TRUE(pci_cfg_read16(d, PCI_COMMAND) & PCI_CMD_INTX_DISABLE);
    KT_EXPECT_EQ((int)d->irq_mode, PCI_IRQ_NONE);
    KT_EXPECT_EQ(d->irq_handle[0], -1);
    if (gsi != UINT32_MAX && ioapic_read_entry(gsi, &entry) == 0)
        KT_EXPECT_TRUE(entry & IOAPIC_ENTRY_MASKED);    /* nobody else is on the line */
    pci_cfg_write16(d, PCI_COMMAND, cmd);
}

/* An e1000e raising its "other" cause by hand, and what its handler saw. */
struct e1000e_irq {
    volatile uint32_t *regs;            /* BAR0 */
    volatile unsigned hits;
};

/*
 * The handler as a driver writes it: reading ICR says whether the device
 * interrupted, and (without MSI-X) clears the causes, which lowers INTx.
 */
static bool e1000e_irq_handler(void *ctx)
{
    struct e1000e_irq *e = ctx;

    if (!(e->regs[E1000_ICR / 4] & E1000_ICR_OTHER))
        return false;
    e->hits++;
    return true;
}

/*
 * Real interrupts, end to end, in the mode flags allow: the e1000e's
 * "other" cause is enabled (IMS) and raised by hand (ICS), twice, and
 * arrives each time exactly once on the handler pci_irq_request attached:
 * over INTx (shared, level-triggered: the handler's ICR read lowers the
 * line, so no storm follows), MSI, or MSI-X (routed to table entry 2 by
 * IVAR). With MSI-X, a masked entry holds the message back and sets its
 * pending bit, and unmasking delivers it.
 */
static void expect_e1000e_delivery(struct pci_dev *d, unsigned flags)
{
    uint16_t cmd = pci_cfg_read16(d, PCI_COMMAND);
    struct e1000e_irq e = { NULL, 0 };
    bool msix = flags == PCI_IRQ_ALLOW_MSIX;
    unsigned index = msix ? 2 : 0;
    volatile uint32_t *t, *pba;
    uint32_t table_reg, pba_reg;

    need_unbound(d);
    pci_enable_device(d);                   /* bus mastering: MSI writes leave the device */
    pci_cfg_write16(d, PCI_COMMAND, pci_cfg_read16(d, PCI_COMMAND) | PCI_CMD_INTX_DISABLE);
    e.regs = pci_map_bar(d, 0);
    KT_ASSERT_NOT_NULL(e.regs);
    e.regs[E1000_IMC / 4] = 0xffffffffu;
    e.regs[E1000_ICR / 4] = 0xffffffffu;
    KT_ASSERT_EQ(pci_irq_alloc(d, index + 1, index + 1, flags), (int)index + 1);
    KT_ASSERT_EQ(pci_irq_request(d, index, e1000e_irq_handler, &e, "ktest-e1000e"), 0);
    if (msix)
        e.regs[E1000_IVAR / 4] = (E1000_IVAR_VALID | index) << E1000_IVAR_OTHER_SHIFT;
    e.regs[E1000_IMS / 4] = E1000_ICR_OTHER;
    e.regs[E1000_ICS / 4] = E1000_ICR_OTHER;
    KT_EXPECT_TRUE(wait_hits(&e.hits, 1));
    e.regs[E1000_ICR / 4] = 0xffffffffu;
    e.regs[E1000_ICS / 4] = E1000_ICR_OTHER;
    KT_EXPECT_TRUE(wait_hits(&e.hits, 2));
    tsc_delay_ns(QUIET_NS);
    KT_EXPECT_EQ(e.hits, 2u);

    if (msix) {
        t = d->msix_table;
        table_reg = pci_cfg_read32(d, d->msix_cap + PCI_MSIX_TABLE);
        pba_reg = pci_cfg_read32(d, d->msix_cap + PCI_MSIX_PBA);
        KT_ASSERT_EQ(pba_reg & 7u, table_reg & 7u);     /* both in BAR3 */
        pba = (volatile uint32_t *)((uintptr_t)t - (table_reg & ~7u) + (pba_reg & ~7u));
        e.regs[E1000_ICR / 4] = 0xffffffffu;
        t[index * 4 + PCI_MSIX_ENTRY_CTRL] = PCI_MSIX_ENTRY_MASKED;
        e.regs[E1000_ICS / 4] = E1000_ICR_OTHER;
        tsc_delay_ns(QUIET_NS);
        KT_EXPECT_EQ(e.hits, 2u);
        KT_EXPECT_TRUE(pba[0] & (1u << index));
        t[index * 4 + PCI_MSIX_ENTRY_CTRL] = 0;
        KT_EXPECT_TRUE(wait_hits(&e.hits, 3));
        KT_EXPECT_FALSE(pba[0] & (1u << index));
        e.regs[E1000_IVAR / 4] = 0;
    }
    e.regs[E1000_IMC / 4] = 0xffffffffu;
    e.regs[E1000_ICR / 4] = 0xffffffffu;
    pci_irq_free(d);
    pci_cfg_write16(d, PCI_COMMAND, cmd);
}

/* The only e1000e delivers over MSI-X, then MSI, then INTx. */
static void expect_e1000e_delivery_all_modes(void)
{
    struct pci_dev *e = need_one(VENDOR_INTEL, DEVICE_E1000E);

    expect_e1000e_delivery(e, PCI_IRQ_ALLOW_MSIX);
    expect_e1000e_delivery(e, PCI_IRQ_ALLOW_MSI);
    expect_e1000e_delivery(e, PCI_IRQ_ALLOW_INTX);
}

/*
 * pc: pci-bridge br1 at 00:03.0 with a virtio-rng-pci at its slot 3 and a
 * second pci-bridge br2 at its slot 4, which has a virtio-rng-pci at its
 * slot 1; an e1000e on bus 0.
 */
static struct pci_dev *need_at(uint8_t bus, uint8_t slot, uint16_t vendor, uint16_t device)
{
    struct pci_dev *d = pci_find(bus, slot, 0);

    if (!d || d->vendor != vendor || d->device != device) {
        ktest_fail(__FILE__, __LINE__, "expected %04x:%04x at %02x:%02x.0", vendor, device,
                   bus, slot);
        ktest_abort();
    }
    return d;
}

KTEST_F(pci, pcdev_bridges, KTEST_MANUAL)
{
    struct pci_dev *br1, *br2, *d;

    KT_ASSERT_TRUE(on_machine(DEVICE_I440FX_HOST));
    KT_EXPECT_FALSE(pci_cfg_using_ecam());
    br1 = need_at(0, 3, VENDOR_REDHAT, DEVICE_PCI_BRIDGE);
    d = expect_behind_bridge(br1, 3);
    KT_EXPECT_EQ(d->device, DEVICE_VIRTIO_RNG_TRANS);
    br2 = need_at(br1->secondary_bus, 4, VENDOR_REDHAT, DEVICE_PCI_BRIDGE);
    KT_EXPECT_TRUE(d->next == br2);
    d = expect_behind_bridge(br2, 1);
    KT_EXPECT_EQ(d->device, DEVICE_VIRTIO_RNG_TRANS);
    /* br1's bus range covers br2's */
    KT_EXPECT_GE(pci_cfg_read8(br1, PCI_SUBORDINATE_BUS), br2->secondary_bus);
    expect_inside_windows(br1, br2);
    expect_inside_windows(br1, d);
    /* after the subtree, enumeration comes back to bus 0 */
    KT_ASSERT_NOT_NULL(d->next);
    KT_EXPECT_EQ(d->next->bus, 0);
    KT_EXPECT_EQ(pci_device_count(), 10u);
    /* pci-bridge: a 64-bit BAR0 for its hot-plug controller; MSI, not PCIe */
    KT_EXPECT_TRUE(br1->bar[0].mem64);
    KT_EXPECT_NE(br1->msi_cap, 0);
    KT_EXPECT_EQ(br1->pcie_cap, 0);
    expect_mechanism(false);
}

KTEST_F(pci, pcdev_virtio, KTEST_MANUAL)
{
    struct pci_dev *a = pci_find_id(VENDOR_VIRTIO, DEVICE_VIRTIO_RNG_TRANS, 0);
    struct pci_dev *b = pci_find_id(VENDOR_VIRTIO, DEVICE_VIRTIO_RNG_TRANS, 1);

    KT_ASSERT_TRUE(a && b);
    expect_virtio_rng(a);
    expect_virtio_rng(b);
}

KTEST_F(pci, pcdev_msix_alloc, KTEST_MANUAL)
{
    struct pci_dev *d = need_one(VENDOR_INTEL, DEVICE_E1000E);

    expect_irq_bad_args(d);
    expect_msix_alloc(d);
}

/* br1's MSI: 64-bit with per-vector masking, programmed through the ports. */
KTEST_F(pci, pcdev_msi_alloc, KTEST_MANUAL)
{
    struct pci_dev *br = need_at(0, 3, VENDOR_REDHAT, DEVICE_PCI_BRIDGE);

    KT_EXPECT_EQ(pci_cfg_read16(br, br->msi_cap + PCI_MSI_CTRL) & (PCI_MSI_CTRL_64BIT | PCI_MSI_CTRL_PVM),
                 PCI_MSI_CTRL_64BIT | PCI_MSI_CTRL_PVM);
    expect_msi_alloc(br);
}

KTEST_F(pci, pcdev_intx_alloc, KTEST_MANUAL)
{
    expect_intx_alloc(need_one(VENDOR_INTEL, DEVICE_E1000E));
}

KTEST_F(pci, pcdev_interrupts_delivered, KTEST_MANUAL)
{
    expect_e1000e_delivery_all_modes();
}

/*
 * q35: virtio-rng-pci and e1000e on the root bus, pcie-root-port rp1 with
 * a virtio-rng-pci behind it.
 */
KTEST_F(pci, q35dev_bridge, KTEST_MANUAL)
{
    struct pci_dev *rp = need_one(VENDOR_REDHAT, DEVICE_PCIE_ROOT_PORT);
    struct pci_dev *d;

    KT_ASSERT_TRUE(on_machine(DEVICE_Q35_HOST));
    d = expect_behind_bridge(rp, 0);
    KT_EXPECT_EQ(d->vendor, VENDOR_VIRTIO);
    KT_EXPECT_EQ(d->device, DEVICE_VIRTIO_RNG);
    KT_EXPECT_EQ(d->cfg_size, PCI_CFG_SIZE_ECAM);
    KT_EXPECT_TRUE(d->ecam != NULL);
    /* a root port: PCIe capability of type 4, MSI-X for hot-plug events */
    KT_ASSERT_NE(rp->pcie_cap, 0);
    KT_EXPECT_EQ((pci_cfg_read16(rp, rp->pcie_cap + PCIE_FLAGS) >> 4) & 0xfu,
                 PCIE_TYPE_ROOT_PORT);
    KT_EXPECT_NE(rp->msix_cap, 0);
    KT_EXPECT_NE(pci_find_cap(rp, PCI_CAP_BRIDGE_SUBSYS, 0), 0);
    /* the device behind it is a PCIe endpoint */
    KT_ASSERT_NE(d->pcie_cap, 0);
    KT_EXPECT_EQ((pci_cfg_read16(d, d->pcie_cap + PCIE_FLAGS) >> 4) & 0xfu, PCIE_TYPE_ENDPOINT);
    expect_mechanism(true);                 /* ECAM reaches bus 1 too, and agrees with the ports */
}

KTEST_F(pci, q35dev_virtio, KTEST_MANUAL)
{
    expect_virtio_rng(need_one(VENDOR_VIRTIO, DEVICE_VIRTIO_RNG_TRANS));
    expect_virtio_rng(need_one(VENDOR_VIRTIO, DEVICE_VIRTIO_RNG));
}

/*
 * e1000e: PM, MSI, PCIe (an integrated endpoint on the root bus), MSI-X
 * with 5 vectors; AHCI: MSI and SATA.
 */
KTEST_F(pci, q35dev_capabilities, KTEST_MANUAL)
{
    struct pci_dev *e = need_one(VENDOR_INTEL, DEVICE_E1000E);
    struct pci_dev *ahci = need_one(VENDOR_INTEL, DEVICE_ICH9_AHCI);

    KT_EXPECT_EQ(e->cap_count, 4);
    KT_EXPECT_NE(pci_find_cap(e, PCI_CAP_PM, 0), 0);
    KT_EXPECT_NE(e->msi_cap, 0);
    KT_EXPECT_NE(e->msix_cap, 0);
    KT_EXPECT_EQ(e->msix_table_size, 5);
    KT_ASSERT_NE(e->pcie_cap, 0);
    KT_EXPECT_EQ((pci_cfg_read16(e, e->pcie_cap + PCIE_FLAGS) >> 4) & 0xfu,
                 PCIE_TYPE_RC_ENDPOINT);
    KT_EXPECT_EQ(pci_find_cap(e, PCI_CAP_MSIX, e->msix_cap), 0);
    KT_EXPECT_EQ(ahci->cap_count, 2);
    KT_EXPECT_EQ(ahci->msi_cap, 0x80);
    KT_EXPECT_EQ(pci_find_cap(ahci, PCI_CAP_SATA, 0), 0xa8);
    KT_EXPECT_EQ(pci_find_cap(ahci, PCI_CAP_SATA, 0x80), 0xa8);
    KT_EXPECT_EQ(pci_find_cap(ahci, PCI_CAP_MSI, 0xa8), 0);
    KT_EXPECT_EQ(ahci->pcie_cap, 0);
}

KTEST_F(pci, q35dev_msix_alloc, KTEST_MANUAL)
{
    struct pci_dev *d = need_one(VENDOR_INTEL, DEVICE_E1000E);

    expect_irq_bad_args(d);
    expect_msix_alloc(d);
}

KTEST_F(pci, q35dev_interrupts_delivered, KTEST_MANUAL)
{
    expect_e1000e_delivery_all_modes();
}

KTEST_F(pci, q35dev_msi_alloc, KTEST_MANUAL)
{
    expect_msi_alloc(need_one(VENDOR_INTEL, DEVICE_ICH9_AHCI));
}

KTEST_F(pci, q35dev_intx_alloc, KTEST_MANUAL)
{
    expect_intx_alloc(need_one(VENDOR_INTEL, DEVICE_E1000E));
    expect_intx_alloc(need_one(VENDOR_INTEL, DEVICE_ICH9_AHCI));
}
