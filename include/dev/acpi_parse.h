/*
 * include/dev/acpi_parse.h - the ACPI table parser: RSDP, XSDT/RSDT, MADT,
 * HPET, MCFG, FADT and the \_S5 sleep values in the DSDT.
 *
 * Part of dev; pure (no hardware, no globals, no printing), so the host unit
 * tests (test/unit/test_acpi_parse.c) feed it tables captured from QEMU and
 * corrupted copies of them. dev/acpi is the kernel glue around it.
 *
 * Physical memory is only ever read through the caller's map callback,
 * which returns a pointer to len readable bytes at physical address pa, or
 * NULL when that memory cannot be reached. A pointer it returns must stay
 * valid until the parse call that asked for it returns; the parser keeps no
 * pointer into the tables afterwards (struct acpi_info holds copies).
 *
 * Firmware is not trusted: every table is bounds-checked (a length shorter
 * than its header or above ACPI_TABLE_MAX_LEN, an address range that wraps),
 * checksummed, and its entries are read only inside its length. A bad table
 * is reported through the report callback ("skipping FACP at 0x7fe14ab:
 * bad checksum") and skipped; the rest are still parsed. Lists have fixed
 * capacities (ACPI_MAX_*); entries beyond them are reported and dropped.
 *
 * Multi-byte fields are read with unaligned-safe loads: tables sit at any
 * byte address.
 *
 * Locking: none. Everything is in the caller's struct acpi_info.
 */
#ifndef BASALT_DEV_ACPI_PARSE_H
#define BASALT_DEV_ACPI_PARSE_H

#include <core/compiler.h>

/* ---- raw firmware layouts (ACPI 6.5 specification, chapter 5) ----------- */

/* Root System Description Pointer (5.2.5.3); ACPI 1.0 ends after rsdt_address. */
struct acpi_rsdp_raw {
    char signature[8];          /* "RSD PTR " */
    uint8_t checksum;           /* over the first 20 bytes */
    char oem_id[6];
    uint8_t revision;           /* 0: ACPI 1.0; 2: ACPI 2.0 and later */
    uint32_t rsdt_address;
    uint32_t length;            /* revision >= 2: of the whole structure */
    uint64_t xsdt_address;
    uint8_t ext_checksum;       /* over length bytes */
    uint8_t reserved[3];
} __packed;
_Static_assert(sizeof(struct acpi_rsdp_raw) == 36, "RSDP layout (ACPI 5.2.5.3)");
_Static_assert(offsetof(struct acpi_rsdp_raw, rsdt_address) == 16, "RSDP layout");
_Static_assert(offsetof(struct acpi_rsdp_raw, xsdt_address) == 24, "RSDP layout");
#define ACPI_RSDP_V1_LEN    20

/* System Description Table header (5.2.6), common to every table but FACS. */
struct acpi_sdt_header {
    char signature[4];
    uint32_t length;            /* of the whole table, header included */
    uint8_t revision;
    uint8_t checksum;           /* all length bytes sum to 0 */
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
} __packed;
_Static_assert(sizeof(struct acpi_sdt_header) == 36, "SDT header layout (ACPI 5.2.6)");

/* Generic Address Structure (5.2.3.2). */
struct acpi_gas_raw {
    uint8_t space_id;           /* ACPI_GAS_* */
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_size;        /* 0 undefined, 1 byte, 2 word, 3 dword, 4 qword */
    uint64_t address;
} __packed;
_Static_assert(sizeof(struct acpi_gas_raw) == 12, "GAS layout (ACPI 5.2.3.2)");

/* Fixed ACPI Description Table, signature "FACP" (5.2.9), up to ACPI 6.5. */
struct acpi_fadt_raw {
    struct acpi_sdt_header header;
    uint32_t firmware_ctrl;
    uint32_t dsdt;
    uint8_t reserved0;
    uint8_t preferred_pm_profile;
    uint16_t sci_int;
    uint32_t smi_cmd;
    uint8_t acpi_enable;
    uint8_t acpi_disable;
    uint8_t s4bios_req;
    uint8_t pstate_cnt;
    uint32_t pm1a_evt_blk;
    uint32_t pm1b_evt_blk;
    uint32_t pm1a_cnt_blk;
    uint32_t pm1b_cnt_blk;
    uint32_t pm2_cnt_blk;
    uint32_t pm_tmr_blk;
    uint32_t gpe0_blk;
    uint32_t gpe1_blk;
    uint8_t pm1_evt_len;
    uint8_t pm1_cnt_len;
    uint8_t pm2_cnt_len;
    uint8_t pm_tmr_len;
    uint8_t gpe0_blk_len;
    uint8_t gpe1_blk_len;
    uint8_t gpe1_base;
    uint8_t cst_cnt;
    uint16_t p_lvl2_lat;
    uint16_t p_lvl3_lat;
    uint16_t flush_size;
    uint16_t flush_stride;
    uint8_t duty_offset;
    uint8_t duty_width;
    uint8_t day_alrm;
    uint8_t mon_alrm;
    uint8_t century;
    uint16_t iapc_boot_arch;
    uint8_t reserved1;
    uint32_t flags;             /* ACPI_FADT_* */
    /* ACPI 1.0 tables end here (116 bytes) */
    struct acpi_gas_raw reset_reg;
    uint8_t reset_value;
    uint16_t arm_boot_arch;
    uint8_t minor_version;
    uint64_t x_firmware_ctrl;
    uint64_t x_dsdt;
    struct acpi_gas_raw x_pm1a_evt_blk;
    struct acpi_gas_raw x_pm1b_evt_blk;
    struct acpi_gas_raw x_pm1a_cnt_blk;
    struct acpi_gas_raw x_pm1b_cnt_blk;
    struct acpi_gas_raw x_pm2_cnt_blk;
    struct acpi_gas_raw x_pm_tmr_blk;
    struct acpi_gas_raw x_gpe0_blk;
    struct acpi_gas_raw x_gpe1_blk;
    /* ACPI 2.0 tables end here (244 bytes) */
    struct acpi_gas_raw sleep_control_reg;
    struct acpi_gas_raw sleep_status_reg;
    uint64_t hypervisor_vendor_id;
} __packed;
_Static_assert(offsetof(struct acpi_fadt_raw, sci_int) == 46, "FADT layout (ACPI 5.2.9)");
_Static_assert(offsetof(struct acpi_fadt_raw, pm1a_cnt_blk) == 64, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt_raw, pm1_cnt_len) == 89, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt_raw, iapc_boot_arch) == 109, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt_raw, flags) == 112, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt_raw, reset_reg) == 116, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt_raw, reset_value) == 128, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt_raw, x_dsdt) == 140, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt_raw, x_pm1a_cnt_blk) == 172, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt_raw, sleep_control_reg) == 244, "FADT layout");
_Static_assert(sizeof(struct acpi_fadt_raw) == 276, "FADT layout (ACPI 6.5: 276 bytes)");
#define ACPI_FADT_V1_LEN        116

/* Multiple APIC Description Table, signature "APIC" (5.2.12). */
struct acpi_madt_raw {
    struct acpi_sdt_header header;
    uint32_t lapic_address;
    uint32_t flags;             /* bit 0: PCAT_COMPAT (8259s present) */
    /* entries, each starting with struct acpi_madt_entry */
} __packed;
_Static_assert(sizeof(struct acpi_madt_raw) == 44, "MADT layout (ACPI 5.2.12)");

struct acpi_madt_entry {
    uint8_t type;               /* ACPI_MADT_* */
    uint8_t length;             /* of the entry, these two bytes included */
} __packed;
_Static_assert(sizeof(struct acpi_madt_entry) == 2, "MADT entry header layout");

enum acpi_madt_type {
    ACPI_MADT_LAPIC = 0,
    ACPI_MADT_IOAPIC = 1,
    ACPI_MADT_OVERRIDE = 2,
    ACPI_MADT_NMI_SOURCE = 3,
    ACPI_MADT_LAPIC_NMI = 4,
    ACPI_MADT_LAPIC_OVERRIDE = 5,
    ACPI_MADT_X2APIC = 9,
    ACPI_MADT_X2APIC_NMI = 10,
};

struct acpi_madt_lapic {
    struct acpi_madt_entry h;
    uint8_t uid;                /* ACPI processor UID */
    uint8_t apic_id;
    uint32_t flags;             /* ACPI_CPU_ENABLED, ACPI_CPU_ONLINE_CAPABLE */
} __packed;
struct acpi_madt_ioapic {
    struct acpi_madt_entry h;
    uint8_t id;
    uint8_t reserved;
    uint32_t address;
    uint32_t gsi_base;
} __packed;
struct acpi_madt_override {
    struct acpi_madt_entry h;
    uint8_t bus;                /* 0: ISA */
    uint8_t source;             /* bus-relative IRQ */
    uint32_t gsi;
    uint16_t flags;             /* MPS INTI flags: ACPI_IRQ_* */
} __packed;
struct acpi_madt_nmi_source {
    struct acpi_madt_entry h;
    uint16_t flags;
    uint32_t gsi;
} __packed;
struct acpi_madt_lapic_nmi {
    struct acpi_madt_entry h;
    uint8_t uid;                /* 0xff: every processor */
    uint16_t flags;
    uint8_t lint;               /* 0 or 1 */
} __packed;
struct acpi_madt_lapic_override {
    struct acpi_madt_entry h;
    uint16_t reserved;
    uint64_t address;
} __packed;
struct acpi_madt_x2apic {
    struct acpi_madt_entry h;
    uint16_t reserved;
    uint32_t x2apic_id;
    uint32_t flags;
    uint32_t uid;
} __packed;
struct acpi_madt_x2apic_nmi {
    struct acpi_madt_entry h;
    uint16_t flags;
    uint32_t uid;               /* 0xffffffff: every processor */
    uint8_t lint;
    uint8_t reserved[3];
} __packed;
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT local APIC layout (5.2.12.2)");
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT I/O APIC layout (5.2.12.3)");
_Static_assert(sizeof(struct acpi_madt_override) == 10, "MADT override layout (5.2.12.5)");
_Static_assert(sizeof(struct acpi_madt_nmi_source) == 8, "MADT NMI source layout (5.2.12.6)");
_Static_assert(sizeof(struct acpi_madt_lapic_nmi) == 6, "MADT local APIC NMI layout (5.2.12.7)");
_Static_assert(sizeof(struct acpi_madt_lapic_override) == 12, "MADT LAPIC override (5.2.12.8)");
_Static_assert(sizeof(struct acpi_madt_x2apic) == 16, "MADT x2APIC layout (5.2.12.12)");
_Static_assert(sizeof(struct acpi_madt_x2apic_nmi) == 12, "MADT x2APIC NMI layout (5.2.12.13)");

/* IA-PC High Precision Event Timer table, signature "HPET" (HPET spec 1.0a, 3.2.4). */
struct acpi_hpet_raw {
    struct acpi_sdt_header header;
    uint32_t block_id;          /* the capabilities register's low 32 bits */
    struct acpi_gas_raw base;
    uint8_t number;
    uint16_t min_tick;          /* main counter ticks, periodic mode */
    uint8_t page_protection;
} __packed;
_Static_assert(sizeof(struct acpi_hpet_raw) == 56, "HPET table layout");

/* PCI Express memory-mapped configuration, signature "MCFG" (PCI FW spec 3.0, 4.1.2). */
struct acpi_mcfg_raw {
    struct acpi_sdt_header header;
    uint64_t reserved;
    /* struct acpi_mcfg_alloc entries[] */
} __packed;
struct acpi_mcfg_alloc {
    uint64_t base;              /* ECAM base of bus 0 of this segment */
    uint16_t segment;
    uint8_t start_bus;
    uint8_t end_bus;
    uint32_t reserved;
} __packed;
_Static_assert(sizeof(struct acpi_mcfg_raw) == 44, "MCFG layout");
_Static_assert(sizeof(struct acpi_mcfg_alloc) == 16, "MCFG allocation layout");

/* Firmware ACPI Control Structure: no SDT header, no checksum (5.2.10). */
#define ACPI_FACS_MIN_LEN   64

/* ---- parsed results ------------------------------------------------------- */

#define ACPI_TABLE_MAX_LEN  (1u << 20)  /* longer tables are taken as corrupt */
#define ACPI_MAX_TABLES     64          /* root entries + DSDT + FACS */
#define ACPI_MAX_CPUS       256
#define ACPI_MAX_IOAPICS    16
#define ACPI_MAX_OVERRIDES  48
#define ACPI_MAX_NMIS       32          /* local APIC NMI entries */
#define ACPI_MAX_NMI_SOURCES 8
#define ACPI_MAX_MCFG       16

/* Generic address space IDs. */
#define ACPI_GAS_MEMORY     0
#define ACPI_GAS_IO         1
#define ACPI_GAS_PCI_CONFIG 2

/* FADT flags. */
#define ACPI_FADT_RESET_REG_SUP     (1u << 10)
#define ACPI_FADT_HW_REDUCED        (1u << 20)
/* IA-PC boot architecture flags. */
#define ACPI_BOOT_LEGACY_DEVICES    (1u << 0)
#define ACPI_BOOT_8042              (1u << 1)
#define ACPI_BOOT_NO_CMOS_RTC       (1u << 5)   /* ACPI 5.0+: no MC146818 at 0x70 */
/* PM1 control register bits. */
#define ACPI_PM1_SCI_EN             (1u << 0)
#define ACPI_PM1_SLP_TYP_SHIFT      10
#define ACPI_PM1_SLP_TYP_MASK       (7u << 10)
#define ACPI_PM1_SLP_EN             (1u << 13)
/* Sleep control register (hardware-reduced ACPI). */
#define ACPI_SLEEP_TYP_SHIFT        2
#define ACPI_SLEEP_EN               (1u << 5)

/* Local APIC flags. */
#define ACPI_CPU_ENABLED            (1u << 0)
#define ACPI_CPU_ONLINE_CAPABLE     (1u << 1)
/* MPS INTI flags (overrides and NMIs). */
#define ACPI_IRQ_POLARITY_MASK      0x3u
#define ACPI_IRQ_TRIGGER_MASK       0xcu

enum acpi_polarity {
    ACPI_POLARITY_CONFORMS = 0,     /* as the bus says (ISA: active high) */
    ACPI_POLARITY_HIGH = 1,
    ACPI_POLARITY_RESERVED = 2,
    ACPI_POLARITY_LOW = 3,
};
enum acpi_trigger {
    ACPI_TRIGGER_CONFORMS = 0,      /* as the bus says (ISA: edge) */
    ACPI_TRIGGER_EDGE = 1,
    ACPI_TRIGGER_RESERVED = 2,
    ACPI_TRIGGER_LEVEL = 3,
};

enum acpi_table_status {
    ACPI_TABLE_OK = 0,
    ACPI_TABLE_UNMAPPED,        /* map() gave nothing */
    ACPI_TABLE_BAD_LENGTH,      /* shorter than its header, absurd, or wrapping */
    ACPI_TABLE_BAD_CHECKSUM,
    ACPI_TABLE_BAD_SIGNATURE,   /* reached as a DSDT or FACS but says otherwise */
    ACPI_TABLE_TOO_SHORT,       /* valid, but too short for its kind: not used */
};

struct acpi_table {
    char signature[5];          /* NUL-terminated; unprintable bytes shown as '?' */
    char oem_id[7];
    char oem_table_id[9];
    uint8_t revision;
    uint64_t address;           /* physical */
    uint32_t length;            /* as the header claims */
    uint8_t status;             /* enum acpi_table_status */
};

struct acpi_gas {
    uint8_t space;              /* ACPI_GAS_*; address 0 means absent */
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_size;
    uint64_t address;
};

struct acpi_cpu {
    uint32_t apic_id;           /* local APIC or x2APIC ID */
    uint32_t uid;               /* ACPI processor UID */
    bool enabled;               /* usable now */
    bool online_capable;        /* disabled but may be brought up (hotplug) */
    bool x2apic;                /* from an x2APIC entry */
};

struct acpi_ioapic {
    uint8_t id;
    uint32_t address;           /* physical MMIO base */
    uint32_t gsi_base;
};

struct acpi_override {
    uint8_t bus;                /* 0: ISA */
    uint8_t source;             /* bus IRQ */
    uint32_t gsi;
    uint16_t flags;             /* raw MPS INTI flags */
    uint8_t polarity;           /* enum acpi_polarity */
    uint8_t trigger;            /* enum acpi_trigger */
};

struct acpi_nmi {               /* local APIC NMI (LINTn) */
    uint32_t uid;               /* 0xffffffff: every processor (0xff in a LAPIC entry) */
    uint8_t lint;
    uint16_t flags;
    uint8_t polarity, trigger;
    bool x2apic;
};

struct acpi_nmi_source {        /* an I/O APIC input wired to NMI */
    uint32_t gsi;
    uint16_t flags;
    uint8_t polarity, trigger;
};

struct acpi_hpet {
    bool present;
    uint64_t address;           /* physical MMIO base (memory space) */
    uint8_t space;
    uint8_t number;             /* HPET sequence number */
    uint8_t comparators;        /* timers in this block (1..32) */
    bool counter_64;            /* 64-bit main counter */
    bool legacy_replacement;    /* can take over IRQ 0 and 8 */
    uint16_t pci_vendor;
    uint16_t min_tick;          /* minimum periodic tick, main counter units */
    uint8_t page_protection;
};

struct acpi_mcfg_entry {
    uint64_t base;              /* ECAM base: bus b at base + (b << 20) */
    uint16_t segment;
    uint8_t start_bus, end_bus;
};

struct acpi_fadt {
    bool present;
    uint8_t revision;           /* header revision */
    uint8_t minor_version;      /* 0 when the table predates the field */
    uint32_t length;
    uint32_t flags;             /* ACPI_FADT_* */
    bool hw_reduced;
    uint16_t sci_irq;
    uint16_t iapc_boot_arch;    /* ACPI_BOOT_* (0 when absent) */
    uint8_t century;            /* CMOS index of the RTC's century register, 0 if none */
    uint32_t smi_cmd;           /* port for ACPI enable/disable, 0 if none */
    uint8_t acpi_enable, acpi_disable;
    /* X_ blocks when present and non-zero, else the 32-bit port blocks as I/O */
    struct acpi_gas pm1a_evt, pm1b_evt, pm1a_cnt, pm1b_cnt;
    uint8_t pm1_evt_len, pm1_cnt_len;
    bool reset_supported;       /* RESET_REG_SUP and a usable reset_reg */
    struct acpi_gas reset_reg;
    uint8_t reset_value;
    struct acpi_gas sleep_control, sleep_status;    /* hardware-reduced only */
    uint64_t dsdt;              /* X_DSDT if set, else DSDT */
    uint64_t facs;              /* X_FIRMWARE_CTRL if set, else FIRMWARE_CTRL */
};

struct acpi_s5 {
    bool present;
    uint8_t slp_typa, slp_typb; /* 0..7 */
    bool from_ssdt;             /* found in an SSDT rather than the DSDT */
};

struct acpi_rsdp {
    uint64_t address;           /* physical; ACPI_RSDP_LOADER_COPY for the loader's copy */
    uint8_t revision;
    uint32_t rsdt;
    uint64_t xsdt;              /* 0 unless revision >= 2 */
    uint32_t length;            /* 20 for ACPI 1.0 */
    char oem_id[7];
};
#define ACPI_RSDP_LOADER_COPY   UINT64_MAX

struct acpi_info {
    struct acpi_rsdp rsdp;
    bool xsdt;                  /* the root table is the XSDT (else the RSDT) */
    uint64_t root_address;
    uint32_t root_length;

    struct acpi_table tables[ACPI_MAX_TABLES];   /* root entries, then DSDT, FACS */
    size_t table_count;
    size_t tables_dropped;      /* beyond ACPI_MAX_TABLES */

    bool has_madt;
    uint64_t lapic_address;     /* after any address override entry */
    uint32_t madt_flags;        /* bit 0: PCAT_COMPAT */
    struct acpi_cpu cpus[ACPI_MAX_CPUS];
    size_t cpu_count;           /* listed (enabled or not) */
    size_t cpus_enabled;
    size_t cpus_dropped;
    struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
    size_t ioapic_count, ioapics_dropped;
    struct acpi_override overrides[ACPI_MAX_OVERRIDES];
    size_t override_count, overrides_dropped;
    struct acpi_nmi nmis[ACPI_MAX_NMIS];
    size_t nmi_count, nmis_dropped;
    struct acpi_nmi_source nmi_sources[ACPI_MAX_NMI_SOURCES];
    size_t nmi_source_count, nmi_sources_dropped;

    struct acpi_hpet hpet;
    struct acpi_mcfg_entry mcfg[ACPI_MAX_MCFG];
    size_t mcfg_count, mcfg_dropped;
    bool has_mcfg;

    struct acpi_fadt fadt;
    struct acpi_s5 s5;

    unsigned problems;          /* how many reports the parse made */
};

/* ---- callbacks -------------------------------------------------------------- */

struct acpi_env {
    /* len readable bytes at physical pa, or NULL (see the top of this file) */
    const void *(*map)(void *ctx, uint64_t pa, size_t len);
    /* one problem, as a phrase without a prefix or newline; may be NULL */
    void (*report)(void *ctx, const char *message);
    void *ctx;
};

/* ---- entry points ----------------------------------------------------------- */

/*
 * Checks an RSDP of avail readable bytes at p: signature, the ACPI 1.0
 * checksum, and for revision >= 2 the length (36 .. avail) and extended
 * checksum. Fills *out (address set to ACPI_RSDP_LOADER_COPY; the caller
 * knows better) and returns 0, or returns -EINVAL with *why (if why is not
 * NULL) naming the problem. A revision >= 2 RSDP whose extended part is
 * unreadable or corrupt is reported as such: it is not downgraded silently.
 */
int acpi_rsdp_check(const void *p, size_t avail, struct acpi_rsdp *out, const char **why);

/*
 * Looks for the RSDP the legacy BIOS way: the first KiB of the EBDA (its
 * segment is the 16-bit word at 0x40e), then 0xe0000-0xfffff, on 16-byte
 * boundaries. Candidates with the signature but a bad checksum are
 * reported and passed over. Returns 0 with *out filled (address = where it
 * was found), or -ENOENT.
 */
int acpi_rsdp_scan(const struct acpi_env *env, struct acpi_rsdp *out);

/*
 * Walks the XSDT (or the RSDT when the RSDP is ACPI 1.0 or has no XSDT
 * address; also when the XSDT is unusable and an RSDT exists) from rsdp,
 * records every table it lists plus the DSDT and FACS in out->tables, and
 * parses MADT, HPET, MCFG and FADT, then \_S5 from the DSDT (or an SSDT).
 * The first valid table of each kind is used; duplicates are reported.
 * *out is cleared first.
 *
 * Returns 0 when a root table was walked (even if some tables were
 * skipped, or it listed none), -EINVAL when no usable root table exists.
 */
int acpi_parse(const struct acpi_env *env, const struct acpi_rsdp *rsdp, struct acpi_info *out);

/*
 * Finds \_S5 in an AML table body: a NameOp "_S5_" (optionally rooted with
 * '\') followed by a Package whose first elements are integers 0..7.
 * aml/len is the whole table (header included). Returns 0 with *typa and
 * *typb, -ENOENT when there is none, -EINVAL when every candidate found is
 * malformed (then *why names the problem if why is not NULL).
 */
int acpi_find_s5(const uint8_t *aml, size_t len, uint8_t *typa, uint8_t *typb, const char **why);

/* The first recorded table with this signature and status OK, or NULL. */
const struct acpi_table *acpi_info_table(const struct acpi_info *info, const char *sig);

/* The sum of n bytes (a valid table sums to 0). */
uint8_t acpi_checksum(const void *p, size_t n);

/* "bad checksum" for ACPI_TABLE_BAD_CHECKSUM, ... */
const char *acpi_table_status_name(unsigned status);

#endif
