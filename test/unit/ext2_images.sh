#!/bin/sh
# test/unit/ext2_images.sh - makes the ext2 images test_ext2_disk reads.
#
# Usage: ext2_images.sh OUTDIR
# Builds two staging folders in OUTDIR and images of them with mke2fs -d:
#   stage/       small files, a 400 KiB file (double indirect at 1 KiB
#                blocks), a sparse file with holes, a sparse 5 GiB file with
#                data past 4 GiB (triple indirect at 1 and 4 KiB blocks,
#                i_size_high set), a directory of 300 entries, nested
#                directories, fast and slow symlinks;
#   stage_small/ the same without the 5 GiB file (revision 0 has no
#                LARGE_FILE).
# Images (sparse files): b1024.img b2048.img b4096.img (stage), rev0.img
# (-r 0, 1 KiB, stage_small), nosparse.img (-O ^sparse_super,^resize_inode, 1 KiB,
# stage_small), small.img (2 MiB, 1 KiB blocks, stage_small minus the big
# files: the corruption tests load it whole). For the 64 MiB 1 KiB-block
# images, IMG.supers lists the groups dumpe2fs shows with a superblock.
set -eu
out=$1
rm -rf "$out"
mkdir -p "$out"
cd "$out"

pattern() {     # pattern FILE BYTES SEED: deterministic, not all zero
    awk -v n="$2" -v s="$3" 'BEGIN {
        line = ""; for (i = 0; i < 63; i++) line = line sprintf("%c", 33 + (i * 7 + s) % 90);
        for (done = 0; done + 64 <= n; done += 64) print line;
        if (done < n) printf "%s", substr(line "\n", 1, n - done);
    }' > "$1"
}

s=stage_small
mkdir -p $s/dir/sub/deeper $s/many
printf 'hello, ext2\n' > $s/hello.txt
: > $s/empty
printf 'x' > $s/one
pattern $s/block1k 1024 1
pattern $s/odd 5000 2
pattern $s/dir/sub/deeper/leaf.txt 777 3
pattern $s/big 409600 4                           # 400 blocks of 1 KiB
# holes: data, a 100 KiB hole, data, then a hole up to the size
pattern $s/holes 3000 5
pattern part 4096 6
dd if=part of=$s/holes bs=1024 seek=103 conv=notrunc status=none
truncate -s 300000 $s/holes
i=0
while [ $i -lt 300 ]; do
    printf 'entry %d\n' $i > $s/many/entry_with_a_longish_name_$i
    i=$((i + 1))
done
ln -s hello.txt $s/fast_link
ln -s dir/sub/deeper/leaf.txt $s/fast_link2
ln -s "$(printf 'a/%.0s' $(seq 1 60))target" $s/slow_link     # 126 bytes
ln -s dir/sub $s/dir_link

cp -a $s stage
# a sparse 5 GiB + 123 bytes file with 8 KiB of data at 4 GiB + 8 MiB
# (past what double indirection maps with 4 KiB blocks)
pattern part 8192 7
dd if=part of=stage/huge bs=1024 seek=$((4 * 1024 * 1024 + 8192)) conv=notrunc status=none
truncate -s $((5 * 1024 * 1024 * 1024 + 123)) stage/huge

mk() {          # mk IMAGE SIZE STAGING ARGS...
    img=$1; size=$2; dir=$3; shift 3
    mke2fs -q -F -t ext2 -E root_owner=0:0 "$@" -d "$dir" "$img" "$size" >/dev/null
}
mk b1024.img 64M stage -b 1024
mk b2048.img 64M stage -b 2048
mk b4096.img 64M stage -b 4096
mk rev0.img 64M stage_small -b 1024 -r 0
mk nosparse.img 64M stage_small -b 1024 -O ^sparse_super,^resize_inode
mkdir small
cp -a $s/hello.txt $s/odd $s/holes $s/dir $s/many $s/fast_link $s/slow_link small/
pattern small/big 409600 4
mk small.img 2M small -b 1024 -N 512
# other members of the family: ext3 (a COMPAT journal: readable as ext2),
# ext4 (INCOMPAT extent, 64bit, flex_bg: refused)
mke2fs -q -F -t ext3 ext3.img 8M >/dev/null
mke2fs -q -F -t ext4 ext4.img 8M >/dev/null

for img in b1024 nosparse rev0; do
    dumpe2fs $img.img 2>/dev/null |
        awk '/^Group [0-9]+:/ { g = $2; sub(":", "", g) }
             /(Primary|Backup) superblock at/ { print g }' > $img.supers
done
rm -f part
