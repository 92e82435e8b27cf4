/*
 * src/dev/mouse_packet.c - PS/2 mouse packet decoder (see include/dev/mouse_packet.h).
 *
 * Part of dev; pure.
 */
#include <dev/mouse_packet.h>
#include <core/format.h>
#include <core/string.h>

#define B0_LEFT         (1u << 0)
#define B0_RIGHT        (1u << 1)
#define B0_MIDDLE       (1u << 2)
#define B0_ALWAYS_ONE   (1u << 3)
#define B0_X_SIGN       (1u << 4)
#define B0_Y_SIGN       (1u << 5)
#define B0_X_OVERFLOW   (1u << 6)
#define B0_Y_OVERFLOW   (1u << 7)

void mouse_packet_init(struct mouse_packet *p)
{
    memset(p, 0, sizeof(*p));
}

/* A 9-bit two's complement delta, or the extreme in the sign's direction. */
static int16_t delta(uint8_t low, bool negative, bool overflow)
{
    if (overflow)
        return negative ? -256 : 255;
    return (int16_t)(negative ? (int)low - 256 : (int)low);
}

bool mouse_packet_feed(struct mouse_packet *p, uint8_t byte, uint64_t now_ns,
                       struct mouse_event *ev)
{
    uint8_t b0;

    if (p->count > 0 && now_ns - p->last_ns > MOUSE_PACKET_GAP_NS) {
        p->count = 0;                   /* the rest of that packet never came */
        p->resyncs++;
    }
    p->last_ns = now_ns;
    if (p->count == 0 && !(byte & B0_ALWAYS_ONE)) {
        p->resyncs++;                   /* cannot be a first byte */
        return false;
    }
    p->bytes[p->count++] = byte;
    if (p->count < 3)
        return false;
    p->count = 0;
    p->packets++;

    b0 = p->bytes[0];
    ev->buttons = (uint8_t)(((b0 & B0_LEFT) ? MOUSE_BUTTON_LEFT : 0) |
                            ((b0 & B0_RIGHT) ? MOUSE_BUTTON_RIGHT : 0) |
                            ((b0 & B0_MIDDLE) ? MOUSE_BUTTON_MIDDLE : 0));
    ev->changed = ev->buttons ^ p->buttons;
    p->buttons = ev->buttons;
    ev->flags = (uint8_t)(((b0 & B0_X_OVERFLOW) ? MOUSE_EV_X_OVERFLOW : 0) |
                          ((b0 & B0_Y_OVERFLOW) ? MOUSE_EV_Y_OVERFLOW : 0));
    ev->dx = delta(p->bytes[1], b0 & B0_X_SIGN, b0 & B0_X_OVERFLOW);
    /* PS/2 Y grows upwards; events use screen orientation */
    ev->dy = (int16_t)-delta(p->bytes[2], b0 & B0_Y_SIGN, b0 & B0_Y_OVERFLOW);
    return true;
}

size_t mouse_packet_describe(const struct mouse_event *ev, char *buf, size_t size)
{
    static const struct {
        uint8_t bit;
        const char *name;
    } names[] = {
        { MOUSE_BUTTON_LEFT, "left" },
        { MOUSE_BUTTON_MIDDLE, "middle" },
        { MOUSE_BUTTON_RIGHT, "right" },
    };
    char held[32] = "none";
    size_t len = 0;
    int n;

    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (!(ev->buttons & names[i].bit))
            continue;
        n = snprintf(held + len, sizeof(held) - len, "%s%s", len ? "+" : "", names[i].name);
        len += (size_t)n;
    }
    n = snprintf(buf, size, "dx=%d dy=%d buttons=%s%s", ev->dx, ev->dy, held,
                 ev->flags ? " overflow" : "");
    return n < 0 ? 0 : (size_t)n;
}
