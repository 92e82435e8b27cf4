/*
 * src/dev/pci_cmds.c - the shell's `pci [-v]`: every PCI function like
 * lspci (address, class, IDs, driver), with -v its BARs, capabilities and
 * interrupts.
 *
 * Part of dev; reads dev/pci's device list, fixed after pci_init, holding
 * pci_lock (pci_lock_bindings) so that bindings stay put while listed.
 */
#include <core/shell.h>
#include <core/string.h>
#include <dev/pci.h>

static void print_device_detail(const struct pci_dev *d)
{
    for (unsigned i = 0; i < PCI_MAX_BARS; i++) {
        const struct pci_bar *b = &d->bar[i];

        if (!b->size)
            continue;
        shell_printf("        BAR%u: %s at %#llx, %llu bytes%s%s\n", i,
                     b->io ? "I/O ports" : b->mem64 ? "memory (64-bit)" : "memory (32-bit)",
                     (unsigned long long)b->base, (unsigned long long)b->size,
                     b->prefetch ? ", prefetchable" : "", b->base ? "" : ", unassigned");
    }
    if (d->cap_count) {
        shell_printf("        capabilities:");
        for (unsigned i = 0; i < d->cap_count; i++)
            shell_printf(" %02x@%02x", d->caps[i].id, d->caps[i].offset);
        shell_printf("%s\n", d->caps_truncated ? " (cut)" : "");
    }
    if (d->msix_cap)
        shell_printf("        MSI-X: %u vectors\n", d->msix_table_size);
    if (d->irq_pin)
        shell_printf("        INT%c# line %u\n", 'A' + d->irq_pin - 1, d->irq_line);
    if (d->irq_mode != PCI_IRQ_NONE)
        shell_printf("        interrupts: %s, %u vector(s)\n", pci_irq_mode_name(d->irq_mode),
                     d->irq_count);
    if (d->header_type == 1)
        shell_printf("        secondary bus %02x\n", d->secondary_bus);
}

static int cmd_pci(int argc, char **argv)
{
    bool verbose = false;

    if (argc > 2 || (argc == 2 && strcmp(argv[1], "-v") != 0)) {
        shell_error("pci: unknown argument '%s'", argv[argc - 1]);
        return SHELL_USAGE;
    }
    verbose = argc == 2;
    if (pci_device_count() == 0) {     /* pci_init found nothing, or never ran */
        shell_printf("pci: no PCI bus found\n");
        return 0;
    }
    pci_lock_bindings();
    for (const struct pci_dev *d = pci_devices(); d; d = d->next) {
        shell_printf("%02x:%02x.%u %s [%02x%02x]: %04x:%04x (rev %02x)  %s\n", d->bus, d->slot,
                     d->func, pci_class_name(d->class_code, d->subclass), d->class_code,
                     d->subclass, d->vendor, d->device, d->revision,
                     d->driver ? d->driver->name : "(no driver)");
        if (verbose)
            print_device_detail(d);
    }
    pci_unlock_bindings();
    shell_printf("%zu functions, configuration through %s\n", pci_device_count(),
                 pci_cfg_using_ecam() ? "ECAM" : "the 0xCF8 ports");
    return 0;
}
SHELL_COMMAND("pci", "[-v]", "list PCI functions like lspci: address, class, IDs, driver (-v: BARs, "
              "capabilities, interrupts)", cmd_pci);
