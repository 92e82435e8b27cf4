#!/bin/sh
# test/fuzz/ext2_disk_seeds.sh - seed images for fuzz_ext2_disk.
#
# Usage: ext2_disk_seeds.sh SEEDDIR
# Makes small ext2 images with mke2fs -d (1, 2 and 4 KiB blocks, revision
# 0; a few files, a directory of 40 entries, fast and slow symlinks, a file
# with indirect blocks) in SEEDDIR, replacing what was there.
set -eu
seeds=$1
stage=$seeds.stage
rm -rf "$seeds" "$stage"
mkdir -p "$seeds" "$stage/d"
printf 'hello\n' > "$stage/hello"
printf 'nested\n' > "$stage/d/nested"
head -c 20000 /dev/zero | tr '\0' 'z' > "$stage/d/indirect"     # past 12 blocks at 1 KiB
ln -s hello "$stage/link"
ln -s "$(printf 'x%.0s' $(seq 1 80))" "$stage/slow_link"
i=0
while [ $i -lt 40 ]; do : > "$stage/d/f$i"; i=$((i + 1)); done
mk() {          # mk IMAGE SIZE ARGS...
    img=$1; size=$2; shift 2
    mke2fs -q -F -t ext2 -N 64 "$@" -d "$stage" "$seeds/$img" "$size" >/dev/null
}
mk b1024.img 128K -b 1024
mk rev0.img 128K -b 1024 -r 0
mk b2048.img 192K -b 2048
mk b4096.img 256K -b 4096
rm -rf "$stage"
