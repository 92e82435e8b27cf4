#!/usr/bin/env python3
# cmake/psf2c.py - turns a PSF console font into the kernel's font_data.c.
#
# Build-time generator used by src/dev/CMakeLists.txt (standard library
# only). Reads a PSF1 or PSF2 font, gzip'd or not (default: Debian
# console-setup-linux's /usr/share/consolefonts/Lat15-VGA16.psf.gz), uses
# its Unicode table to pick the glyph for each code point U+0000..U+00FF
# ('?' when the font has none) and writes a C file defining the arrays
# declared in include/dev/font.h. Exits non-zero with a message on a
# missing or malformed font; the output is replaced only on success.
#
#   psf2c.py FONT.psf[.gz] OUT.c         generate
#   psf2c.py FONT.psf[.gz] --show 0x41   print one glyph as ASCII art
import argparse
import gzip
import os
import struct
import sys
import zlib

GLYPH_COUNT = 256           # FONT_GLYPH_COUNT in include/dev/font.h
MAX_WIDTH = 32              # FONT_MAX_WIDTH
MAX_HEIGHT = 64             # FONT_MAX_HEIGHT
FALLBACK = ord('?')

PSF1_MAGIC = b'\x36\x04'
PSF1_MODE512 = 0x01
PSF1_MODEHASTAB = 0x02
PSF1_MODEHASSEQ = 0x04
PSF1_SEPARATOR = 0xFFFF
PSF1_STARTSEQ = 0xFFFE

PSF2_MAGIC = b'\x72\xb5\x4a\x86'
PSF2_HAS_UNICODE_TABLE = 0x01
PSF2_SEPARATOR = 0xFF
PSF2_STARTSEQ = 0xFE


class FontError(Exception):
    pass


class Font:
    def __init__(self, width, height, glyphs, unimap):
        self.width = width
        self.height = height
        self.row_bytes = (width + 7) // 8
        self.glyphs = glyphs        # list of bytes, one per glyph
        self.unimap = unimap        # code point -> glyph index, or None


def read_font(path):
    try:
        with open(path, 'rb') as f:
            raw = f.read()
    except OSError as e:
        raise FontError('cannot read font: %s (on Debian it comes with the '
                        'console-setup-linux package)' % e.strerror)
    if raw[:2] == b'\x1f\x8b':
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise FontError('bad gzip data: %s' % e)
    if raw[:2] == PSF1_MAGIC:
        return parse_psf1(raw)
    if raw[:4] == PSF2_MAGIC:
        return parse_psf2(raw)
    raise FontError('not a PSF1 or PSF2 font (bad magic %s)' % raw[:4].hex())


def split_glyphs(data, offset, count, size):
    end = offset + count * size
    if size == 0 or count == 0 or end > len(data):
        raise FontError('truncated: %d glyphs of %d bytes need %d bytes, file has %d'
                        % (count, size, end, len(data)))
    return [data[offset + i * size:offset + (i + 1) * size] for i in range(count)], end


def parse_psf1(data):
    if len(data) < 4:
        raise FontError('truncated PSF1 header')
    mode, height = data[2], data[3]
    count = 512 if mode & PSF1_MODE512 else 256
    glyphs, pos = split_glyphs(data, 4, count, height)
    if not mode & (PSF1_MODEHASTAB | PSF1_MODEHASSEQ):
        return Font(8, height, glyphs, None)
    unimap = {}
    for g in range(count):
        in_seq = False
        while True:
            if pos + 2 > len(data):
                raise FontError('truncated PSF1 unicode table (glyph %d)' % g)
            (v,) = struct.unpack_from('<H', data, pos)
            pos += 2
            if v == PSF1_SEPARATOR:
                break
            if v == PSF1_STARTSEQ:
                in_seq = True       # combining sequences: not used here
            elif not in_seq:
                unimap.setdefault(v, g)
    return Font(8, height, glyphs, unimap)


def parse_psf2(data):
    if len(data) < 32:
        raise FontError('truncated PSF2 header')
    (_version, hdr_size, flags, count, size, height,
     width) = struct.unpack_from('<7I', data, 4)
    if hdr_size < 32 or width == 0 or height == 0:
        raise FontError('bad PSF2 header (header size %d, %dx%d)'
                        % (hdr_size, width, height))
    if size != height * ((width + 7) // 8):
        raise FontError('bad PSF2 header: glyph size %d does not match %dx%d'
                        % (size, width, height))
    glyphs, pos = split_glyphs(data, hdr_size, count, size)
    if not flags & PSF2_HAS_UNICODE_TABLE:
        return Font(width, height, glyphs, None)
    unimap = {}
    for g in range(count):
        end = data.find(bytes([PSF2_SEPARATOR]), pos)
        if end < 0:
            raise FontError('truncated PSF2 unicode table (glyph %d)' % g)
        entry = data[pos:end]
        pos = end + 1
        seq = entry.find(bytes([PSF2_STARTSEQ]))
        singles = entry if seq < 0 else entry[:seq]
        try:
            text = singles.decode('utf-8')
        except UnicodeDecodeError:
            raise FontError('bad UTF-8 in PSF2 unicode table (glyph %d)' % g)
        for ch in text:
            unimap.setdefault(ord(ch), g)
    return Font(width, height, glyphs, unimap)


def latin1_glyphs(font):
    """The glyph bytes for code points 0..GLYPH_COUNT-1, and how many fell back to '?'."""
    if not 1 <= font.width <= MAX_WIDTH or not 1 <= font.height <= MAX_HEIGHT:
        raise FontError('%dx%d glyphs: the kernel takes at most %dx%d'
                        % (font.width, font.height, MAX_WIDTH, MAX_HEIGHT))
    if font.unimap is None:
        # No table: assume the glyphs are in code point order.
        unimap = {cp: cp for cp in range(min(GLYPH_COUNT, len(font.glyphs)))}
    else:
        unimap = font.unimap
    if FALLBACK not in unimap:
        raise FontError("the font has no glyph for '?', the fallback")
    out, missing = [], 0
    for cp in range(GLYPH_COUNT):
        g = unimap.get(cp)
        if g is None:
            g = unimap[FALLBACK]
            missing += 1
        out.append(font.glyphs[g])
    return out, missing


def render_c(font, glyphs, missing, src):
    name = os.path.basename(src)
    lines = [
        '/*',
        ' * font_data.c - GENERATED by cmake/psf2c.py; do not edit.',
        ' *',
        ' * Source font: %s' % src,
        ' * %dx%d pixels, %d glyphs indexed by code point (see include/dev/font.h).'
        % (font.width, font.height, GLYPH_COUNT),
        " * %d code points have no glyph in the font and show '?'." % missing,
        ' */',
        '#include <dev/font.h>',
        '',
        'const unsigned font_width = %d;' % font.width,
        'const unsigned font_height = %d;' % font.height,
        'const unsigned font_row_bytes = %d;' % font.row_bytes,
        'const unsigned font_glyph_bytes = %d;' % (font.row_bytes * font.height),
        '',
        '/* From %s. */' % name,
        'const uint8_t font_glyphs[%d * %d] = {' % (GLYPH_COUNT, font.row_bytes * font.height),
    ]
    for cp, g in enumerate(glyphs):
        label = " '%s'" % chr(cp) if 0x20 <= cp < 0x7f and chr(cp) not in "\\'" else ''
        lines.append('    /* U+%04X%s */' % (cp, label))
        for r in range(0, len(g), 16):
            lines.append('    ' + ' '.join('0x%02x,' % b for b in g[r:r + 16]))
    lines.append('};')
    return '\n'.join(lines) + '\n'


def show(font, glyphs, cp):
    g = glyphs[cp]
    for row in range(font.height):
        bits = g[row * font.row_bytes:(row + 1) * font.row_bytes]
        value = int.from_bytes(bits, 'big')
        total = font.row_bytes * 8
        print(''.join('#' if value >> (total - 1 - x) & 1 else '.'
                      for x in range(font.width)))


def main():
    ap = argparse.ArgumentParser(description='Convert a PSF console font to C.')
    ap.add_argument('font', help='PSF1/PSF2 font, optionally gzip-compressed')
    ap.add_argument('output', nargs='?', help='C file to write')
    ap.add_argument('--show', metavar='CODEPOINT',
                    help='print the glyph for CODEPOINT (e.g. 0x41) as ASCII art')
    args = ap.parse_args()
    if args.output is None and args.show is None:
        ap.error('give an output file or --show')

    try:
        font = read_font(args.font)
        glyphs, missing = latin1_glyphs(font)
    except FontError as e:
        sys.exit('psf2c: error: %s: %s' % (args.font, e))

    if args.show is not None:
        try:
            cp = int(args.show, 0)
        except ValueError:
            cp = ord(args.show) if len(args.show) == 1 else -1
        if not 0 <= cp < GLYPH_COUNT:
            ap.error('--show takes a code point below %d' % GLYPH_COUNT)
        show(font, glyphs, cp)
    if args.output is not None:
        tmp = args.output + '.tmp'
        try:
            with open(tmp, 'w', encoding='ascii') as f:
                f.write(render_c(font, glyphs, missing, args.font))
            os.replace(tmp, args.output)
        except OSError as e:
            if os.path.exists(tmp):
                os.unlink(tmp)
            sys.exit('psf2c: error: cannot write %s: %s' % (args.output, e.strerror))
    if font.unimap is None:
        print('psf2c: warning: %s has no unicode table; assuming code point order'
              % args.font, file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
