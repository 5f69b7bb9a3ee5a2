# SPDX-License-Identifier: GPL-2.0-or-later
"""Search the guest kernel's own memory for secrets the kernel held (swipe
tracks, PIN digits): every page of RAM that the kernel owns, read through
/proc/kcore.

Which pages: /proc/kpageflags says, per page frame, what a page is.  Slab
pages (kmalloc: the readers' swipe and PIN buffers, URBs, HID reports) and
pages that are neither user memory (anonymous, mapped, on an LRU list: the
test's own process holds the secrets it sends, the page cache holds the
checkout) nor free in the buddy allocator (vmalloc'd kernel stacks, page
tables, drivers' page allocations) are searched.  Freed slab objects stay
in slab pages until reused, so a kfree() without a wipe is found.
Where: /proc/kcore's PT_LOAD headers map physical ranges of RAM (p_paddr)
to file offsets."""
import struct

KPF_LRU, KPF_SLAB, KPF_BUDDY, KPF_MMAP, KPF_ANON = 5, 7, 10, 11, 12
KPF_SWAPCACHE, KPF_NOPAGE, KPF_OFFLINE, KPF_ZERO_PAGE = 14, 20, 23, 24
KPF_RESERVED = 32
USER_OR_FREE = ((1 << KPF_LRU) | (1 << KPF_BUDDY) | (1 << KPF_MMAP) |
                (1 << KPF_ANON) | (1 << KPF_SWAPCACHE) | (1 << KPF_NOPAGE) |
                (1 << KPF_OFFLINE) | (1 << KPF_ZERO_PAGE) |
                (1 << KPF_RESERVED))
PAGE = 4096
NO_PADDR = (1 << 64) - 1


def _ram_segments(f):
    """[(paddr, size, file offset)] of /proc/kcore's RAM mappings."""
    ehdr = f.read(64)
    assert ehdr[:4] == b'\x7fELF' and ehdr[4] == 2, 'kcore is not ELF64'
    phoff, = struct.unpack_from('<Q', ehdr, 32)
    phentsize, phnum = struct.unpack_from('<HH', ehdr, 54)
    f.seek(phoff)
    segs = []
    for _ in range(phnum):
        typ, _flags, off, vaddr, paddr, filesz, _memsz, _align = \
            struct.unpack('<IIQQQQQQ', f.read(phentsize)[:56])
        # PT_LOAD with a physical address: RAM in the direct map (the
        # kernel text's own mapping, at the top, has one too: skip it, it
        # is code, and RAM holds the same pages again)
        if typ == 1 and paddr != NO_PADDR and vaddr < 0xffffffff80000000:
            segs.append((paddr, filesz, off))
    assert segs, 'no RAM segment in /proc/kcore'
    return segs


def _kernel_runs(flags, segs):
    """Runs (paddr, length) of kernel-owned pages inside RAM segments."""
    runs = []
    for paddr, size, _ in segs:
        first, last = paddr // PAGE, (paddr + size) // PAGE
        start = None
        for pfn in range(first, min(last, len(flags) // 8)):
            fl, = struct.unpack_from('<Q', flags, pfn * 8)
            mine = bool(fl & (1 << KPF_SLAB)) or not fl & USER_OR_FREE
            if mine and start is None:
                start = pfn
            elif not mine and start is not None:
                runs.append((start * PAGE, (pfn - start) * PAGE))
                start = None
        if start is not None:
            runs.append((start * PAGE, (last - start) * PAGE))
    return runs


CHUNK = 1 << 20
# One read buffer for the life of the process: a buffer freed after
# holding a copy of kernel memory would become a free page holding the
# secrets it found, and the next scan would find them there.
_BUF = bytearray(CHUNK + 4096)


def scan_kernel(secrets):
    """{secret: hits (at least one per match)} for the SECRETS found in
    kernel-owned memory, and the number of bytes searched."""
    flags = b''
    with open('/proc/kpageflags', 'rb', 0) as fl:   # whole 8-byte entries
        while True:
            part = fl.read(1 << 20)
            if not part:
                break
            flags += part
    hits = {}
    searched = 0
    overlap = max(len(s) for s in secrets) - 1
    assert overlap < len(_BUF) - CHUNK
    view = memoryview(_BUF)
    with open('/proc/kcore', 'rb', 0) as f:
        segs = _ram_segments(f)
        for paddr, length in _kernel_runs(flags, segs):
            seg = [s for s in segs if s[0] <= paddr < s[0] + s[1]][0]
            off = seg[2] + paddr - seg[0]
            pos, kept = 0, 0            # kept: bytes carried over in _BUF
            while pos < length:
                n = min(CHUNK, length - pos)
                f.seek(off + pos)
                try:
                    got = f.readinto(view[kept:kept + n])
                except OSError:
                    got = 0
                pos += n
                if not got:
                    kept = 0
                    continue
                searched += got
                end = kept + got
                for s in secrets:
                    c = _BUF.count(s, 0, end)
                    if c:
                        hits[s] = hits.get(s, 0) + c
                kept = min(overlap, end)
                _BUF[:kept] = _BUF[end - kept:end]
    view.release()
    return hits, searched
