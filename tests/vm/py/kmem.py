# SPDX-License-Identifier: GPL-2.0-or-later
"""Search the guest kernel's own memory for secrets the kernel held (swipe
tracks, PIN digits, APDU answers), read through /proc/kcore.

Which memory: the kernel's allocations, where a driver's buffers live —
  - slab pages (kmalloc: the readers' swipe and PIN buffers, URBs, HID
    reports), found with /proc/kpageflags; a freed object stays in its
    slab page until reused, so a kfree() without a wipe is found;
  - vmalloc areas (/proc/vmallocinfo: kernel stacks, module data, kvmalloc
    buffers), but not ioremap/vmap/user-mappable ones.
Not searched: user memory, the page cache and free pages.  Those hold the
test's own copies (it sends the secrets), and a free page has no owner:
user pages freed by a process sit on per-CPU free lists unflagged, so
they cannot be told from kernel pages.  Debian's kernel zeroes pages and
objects when it allocates them (init_on_alloc), so kernel allocations hold
only what the kernel wrote into them."""
import struct

KPF_SLAB = 7
PAGE = 4096
NO_PADDR = (1 << 64) - 1
CHUNK = 1 << 20
# One read buffer for the life of the process: a buffer freed after
# holding a copy of kernel memory would become a free page holding the
# secrets it found.
_BUF = bytearray(CHUNK + 4096)


def _segments(f):
    """[(vaddr, paddr, size, file offset)] of /proc/kcore's PT_LOADs."""
    ehdr = f.read(64)
    assert ehdr[:4] == b'\x7fELF' and ehdr[4] == 2, 'kcore is not ELF64'
    phoff, = struct.unpack_from('<Q', ehdr, 32)
    phentsize, phnum = struct.unpack_from('<HH', ehdr, 54)
    f.seek(phoff)
    segs = []
    for _ in range(phnum):
        typ, _flags, off, vaddr, paddr, filesz, _memsz, _align = \
            struct.unpack('<IIQQQQQQ', f.read(phentsize)[:56])
        if typ == 1:
            segs.append((vaddr, paddr, filesz, off))
    return segs


def _page_flags():
    flags = b''
    with open('/proc/kpageflags', 'rb', 0) as fl:   # whole 8-byte entries
        while True:
            part = fl.read(1 << 20)
            if not part:
                break
            flags += part
    return flags


def _is_slab(flags, pfn):
    return pfn * 8 + 8 <= len(flags) and \
        struct.unpack_from('<Q', flags, pfn * 8)[0] & (1 << KPF_SLAB)


def _slab_ranges(flags, segs):
    """(vaddr, length) runs of slab pages in the direct map (the RAM
    segments: a physical address; not the kernel text's own mapping)."""
    runs = []
    for vaddr, paddr, size, _ in segs:
        if paddr == NO_PADDR or vaddr >= 0xffffffff80000000:
            continue
        start = None
        first, last = paddr // PAGE, (paddr + size) // PAGE
        for pfn in range(first, last):
            mine = _is_slab(flags, pfn)
            if mine and start is None:
                start = pfn
            elif not mine and start is not None:
                runs.append((vaddr + (start * PAGE - paddr), (pfn - start) * PAGE))
                start = None
        if start is not None:
            runs.append((vaddr + (start * PAGE - paddr), (last - start) * PAGE))
    return runs


def _vmalloc_ranges():
    """(vaddr, length) of the vmalloc'd areas.  Real addresses need
    kptr_restrict 1 (0 hashes them, even for root)."""
    path = '/proc/sys/kernel/kptr_restrict'
    old = open(path).read().strip()
    with open(path, 'w') as f:
        f.write('1')
    try:
        lines = open('/proc/vmallocinfo').read().splitlines()
    finally:
        with open(path, 'w') as f:
            f.write(old)
    runs = []
    for line in lines:
        words = line.split()
        if 'vmalloc' not in words or {'ioremap', 'vmap', 'user'} & set(words):
            continue
        lo, hi = (int(x, 16) for x in words[0].split('-'))
        assert lo >= 0xffff800000000000, 'hashed address: %s' % line
        runs.append((lo, hi - lo - PAGE))       # without the guard page
    return runs


def scan_kernel(secrets):
    """{secret: hits (at least one per match)} for the SECRETS found in
    kernel allocations, and the number of bytes searched."""
    flags = _page_flags()
    hits = {}
    searched = 0
    overlap = max(len(s) for s in secrets) - 1
    assert overlap < len(_BUF) - CHUNK
    view = memoryview(_BUF)
    with open('/proc/kcore', 'rb', 0) as f:
        segs = _segments(f)
        ranges = [(a, n, True) for a, n in _slab_ranges(flags, segs)]
        ranges += [(a, n, False) for a, n in _vmalloc_ranges()]
        for addr, length, slab in ranges:
            seg = [s for s in segs if s[0] <= addr < s[0] + s[2]]
            if not seg:
                continue
            vaddr, paddr, _, off = seg[0]
            off += addr - vaddr
            pos, kept = 0, 0            # kept: bytes carried over in _BUF
            while pos < length:
                n = min(CHUNK, length - pos)
                f.seek(off + pos)
                try:
                    got = f.readinto(view[kept:kept + n])
                except OSError:
                    got = 0
                base = addr + pos - kept
                pos += n
                if not got:
                    kept = 0
                    continue
                searched += got
                end = kept + got
                for s in secrets:
                    i = _BUF.find(s, 0, end)
                    # a slab page freed and reused as user memory while
                    # being read is not the kernel's: checked again
                    if i >= 0 and (not slab or _is_slab(
                            _page_flags(), (paddr + base - vaddr + i) // PAGE)):
                        hits[s] = hits.get(s, 0) + _BUF.count(s, 0, end)
                kept = min(overlap, end)
                _BUF[:kept] = _BUF[end - kept:end]
    view.release()
    return hits, searched
