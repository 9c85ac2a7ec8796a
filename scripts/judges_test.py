#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""judges_test.py: the log judges must fail on every defect they look for.

Builds a small clean guest log the way guest-init writes one, checks that
guestlog.py passes it, then breaks it in one way at a time (a kernel
complaint, a skip, a leak, a buffer left over...) and checks that
guestlog.py fails each. Does the same for the IOMMU guests' logs (a fault
report is required there, and tolerated by name only), for the skips that
allowed_skips.py never allows, and for kunit_results.py with a small
kunit.py result. Run by 'make check' before anything is built.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import allowed_skips  # noqa: E402
B = 'GDMABUF-BENCH: '

KTAP_PROGRAM = '''# selftests: drivers/misc/gdmabuf: {prog}
# TAP version 13
# 1..2
# # Starting 2 tests from 1 test cases.
# #  RUN           ctl.one ...
# #            OK  ctl.one
# ok 1 ctl.one
# #  RUN           ctl.two ...
# #            OK  ctl.two
# ok 2 ctl.two
# # PASSED: 2 / 2 tests passed.
# # Totals: pass:2 fail:0 xfail:0 xpass:0 skip:0 error:0
ok {n} selftests: drivers/misc/gdmabuf: {prog}'''

KNOWN_LEAK = '''unreferenced object 0xffff888004e1c000 (size 1672):
  comm "kunit_try_catch", pid 52, jiffies 4294894337
  backtrace (crc 5c46bf50):
    kmem_cache_alloc_noprof+0x114/0x200
    mm_alloc+0x1c/0x50
    kunit_vm_mmap_init+0x94/0x244
    kunit_vm_mmap+0x11c/0x160'''

OWN_LEAK = '''unreferenced object 0xffff888004e1d000 (size 64):
  comm "kunit_try_catch", pid 52, jiffies 4294894337
  backtrace (crc 5c46bf51):
    kmalloc_trace_noprof+0x114/0x200
    gdmabuf_mmap+0x1c/0x50 [gdmabuf]
    mmap_region+0x94/0x244
    kunit_vm_mmap_init+0x94/0x244
    kunit_vm_mmap+0x11c/0x160'''


PAGES = ('MemFree: {free} kB CmaFree: {cma} kB Cached: 20000 kB Buffers: 0 kB '
         'AnonPages: 300 kB Slab: {slab} kB KernelStack: 900 kB PageTables: 1200 kB '
         'Percpu: 800 kB VmallocUsed: 7000 kB PerCpuLists: 30000 kB')


PROGRAMS = ('gdmabuf_test', 'gdmabuf_export_test', 'gdmabuf_edu_test')
IOMMU_PROGRAMS = ('gdmabuf_edu_test',)

# What the IOMMUs print for the edu test's DMA outside its buffer.
VTD_FAULT = '''[   20.000000] DMAR: DRHD: handling fault status reg 2
[   20.000000] DMAR: [DMA Read NO_PASID] Request device [00:03.0] fault addr 0x0 \
[fault reason 0x06] PTE Read access is not set
[   26.000000] dmar_fault: 3 callbacks suppressed'''
SMMU_EVENT = '''[   20.000000] arm-smmu-v3 9050000.smmuv3: event 0x10 received:
[   20.000000] arm-smmu-v3 9050000.smmuv3: \t0x0000000100000010
[   20.000000] arm-smmu-v3 9050000.smmuv3: \t0x0000020000000000
[   20.000000] arm-smmu-v3 9050000.smmuv3: \t0x0000000000000000
[   20.000000] arm-smmu-v3 9050000.smmuv3: \t0x0000000000000000'''


def clean_log(mode='selftest', programs=PROGRAMS, fault=''):
    parts = [
        '[    0.000000] Linux version 6.12.117',
        B + 'booted 6.12.117 x86_64, mode ' + mode,
        B + 'pages before: ' + PAGES.format(free=5000000, cma=2150000, slab=90000),
    ]
    if mode == 'selftest':
        parts += [B + 'kunit begin', B + 'kunit end']
    parts += [KTAP_PROGRAM.format(prog=p, n=n) for n, p in enumerate(programs, 1)]
    if fault:
        parts.append(fault)
    parts += [
        B + 'kselftest exit 0',
        B + 'gdmabuf buffers begin',
        'id           size type           layout          segments  maps   pid comm',
        'total: 0 bytes of 4294967296 allowed, largest buffer 0',
        B + 'gdmabuf buffers end',
        B + 'pages after: ' + PAGES.format(free=4900000, cma=2149000, slab=186000),
        B + 'dma-api mappings begin', B + 'dma-api mappings end',
        B + 'dma-api errors 0 disabled N',
        '[  300.000000] kmemleak: 1 new suspected memory leaks (see /sys/kernel/debug/kmemleak)',
        B + 'kmemleak report 1 begin', KNOWN_LEAK, B + 'kmemleak report 1 end',
        B + 'kmemleak report 2 begin', KNOWN_LEAK, B + 'kmemleak report 2 end',
        B + 'kmemleak scan done',
        B + 'done',
    ]
    return '\n'.join(parts) + '\n'


def replace(old, new):
    return lambda log: log.replace(old, new, 1) if old in log else None


def insert_before(mark, text):
    return replace(mark, text + '\n' + mark)


BROKEN_LOGS = {
    'warning': insert_before(B + 'kunit end', '[   10.0] WARNING: CPU: 0 PID: 1 at mm/foo.c:1'),
    'arm64 call trace': insert_before(B + 'kunit end', '[   10.0] Call trace:'),
    'kernel BUG at': insert_before(B + 'kunit end', '[   10.0] kernel BUG at mm/huge_memory.c:2640!'),
    'non-static key': insert_before(
        B + 'kunit end', '[   10.0] INFO: trying to register non-static key.'),
    'RCU stall': insert_before(
        B + 'kunit end', '[   10.0] rcu: INFO: rcu_sched self-detected stall on CPU'),
    'hung task': insert_before(
        B + 'kunit end', '[  200.0] INFO: task gdmabuf_test:88 blocked for more than 120 seconds.'),
    'DMA-API debug off': insert_before(
        B + 'kunit end', '[   10.0] DMA-API: debugging out of memory - disabling'),
    'kmemleak pool empty': insert_before(
        B + 'kunit end', '[   10.0] kmemleak: Memory pool empty, consider increasing'),
    'kmemleak off': insert_before(
        B + 'kunit end', '[   10.0] kmemleak: Kernel memory leak detector disabled'),
    'printk dropped': insert_before(
        B + 'kunit end', '[   10.0] ** 12 printk messages dropped **'),
    'not finished': replace(B + 'done\n', ''),
    'guest FAIL': insert_before(B + 'done', B + 'FAIL rmmod gdmabuf'),
    'failed case': replace('# ok 2 ctl.two', '# not ok 2 ctl.two'),
    'skipped case': replace('# ok 2 ctl.two', '# ok 2 ctl.two # SKIP no CMA?'),
    'skipped program': replace('ok 2 selftests: drivers/misc/gdmabuf: gdmabuf_export_test',
                               'ok 2 selftests: drivers/misc/gdmabuf: gdmabuf_export_test # SKIP'),
    'program missing': replace(KTAP_PROGRAM.format(prog='gdmabuf_export_test', n=2), ''),
    'fewer results than planned': replace('# ok 2 ctl.two\n', ''),
    'no totals': replace('# # Totals: pass:2 fail:0 xfail:0 xpass:0 skip:0 error:0\n', ''),
    'own leak': replace(B + 'kmemleak report 2 end', OWN_LEAK + '\n' + B + 'kmemleak report 2 end'),
    'count above report': replace('kmemleak: 1 new', 'kmemleak: 2 new'),
    'no kmemleak scan': replace(B + 'kmemleak scan done\n', ''),
    'buffer left': replace('total: 0 bytes',
                           '7        4096 cached         contiguous             1        1    88 x\n'
                           'total: 4096 bytes'),
    'total not 0': replace('total: 0 bytes', 'total: 4096 bytes'),
    'no listing': replace(B + 'gdmabuf buffers begin', B + 'gdmabuf buffers'),
    'pages lost': replace('MemFree: 4900000', 'MemFree: 4880000'),
    'CMA lost': replace('CmaFree: 2149000', 'CmaFree: 2070000'),
    'counter missing': replace('PageTables: 1200 kB ', ''),
    'DMA mapping left': replace(
        B + 'dma-api mappings end',
        'gdmabuf gdmabuf single idx 1 P=0x1000 D=1000 L=1000 cln=0x40 DMA_BIDIRECTIONAL '
        'dma map error checked\n' + B + 'dma-api mappings end'),
    'DMA-API errors': replace('dma-api errors 0', 'dma-api errors 3'),
    'ACPI error': insert_before(
        B + 'kselftest exit', '[  261.9] ACPI Error: Aborting method \\_SB.PCI0._PRT due to'
        ' previous error (AE_AML_LOOP_TIMEOUT) (20240827/psparse-543)'),
    'VT-d fault without an IOMMU': insert_before(B + 'kselftest exit', VTD_FAULT),
    'VT-d fault status without an IOMMU': insert_before(
        B + 'kselftest exit', VTD_FAULT.split('\n')[0]),
    'VT-d fault record without an IOMMU': insert_before(
        B + 'kselftest exit', VTD_FAULT.split('\n')[1]),
    'SMMU event without an IOMMU': insert_before(B + 'kselftest exit', SMMU_EVENT),
    'SMMU event line without an IOMMU': insert_before(
        B + 'kselftest exit', SMMU_EVENT.split('\n')[0]),
    'edu test skipped': replace('ok 3 selftests: drivers/misc/gdmabuf: gdmabuf_edu_test',
                                'ok 3 selftests: drivers/misc/gdmabuf: gdmabuf_edu_test'
                                ' # SKIP no edu?'),
    'edu test case skipped': replace(
        '# ok 2 ctl.two\n# # PASSED: 2 / 2 tests passed.\n'
        '# # Totals: pass:2 fail:0 xfail:0 xpass:0 skip:0 error:0\n'
        'ok 3 selftests: drivers/misc/gdmabuf: gdmabuf_edu_test',
        '# ok 2 ctl.two # SKIP uio_pci_generic?\n# # PASSED: 2 / 2 tests passed.\n'
        '# # Totals: pass:1 fail:0 xfail:0 xpass:0 skip:1 error:0\n'
        'ok 3 selftests: drivers/misc/gdmabuf: gdmabuf_edu_test'),
}


def iommu_log(fault='', extra=''):
    """The clean log of an IOMMU guest with FAULT and EXTRA after its test."""
    return clean_log('iommu', IOMMU_PROGRAMS, '\n'.join(x for x in (fault, extra) if x))


def dma_left(log, mapping):
    """LOG with MAPPING in DMA-API debug's listing after rmmod."""
    return log.replace(B + 'dma-api mappings end', mapping + '\n' + B + 'dma-api mappings end')


SMMU_QUEUE = ('arm-smmu-v3 9050000.smmuv3 coherent idx 12160 P=0x00000000adf00000 D=adf00000 '
              'L=100000 cln=0x0000000002b7c000 DMA_BIDIRECTIONAL '
              'dma map error check not applicable')
EDU_MAPPING = ('uio_pci_generic 0000:00:01.0 single idx 1 P=0x1000 D=ffff0000 L=1000 cln=0x40 '
               'DMA_BIDIRECTIONAL dma map error checked')

# The IOMMU guests' logs: (arch, log, whether guestlog.py must pass it)
IOMMU_LOGS = {
    'VT-d fault': ('x86_64', iommu_log(VTD_FAULT), True),
    'SMMU event and queues': ('arm64', dma_left(iommu_log(SMMU_EVENT), SMMU_QUEUE), True),
    'SMMU queues on VT-d': ('x86_64', dma_left(iommu_log(VTD_FAULT), SMMU_QUEUE), False),
    'SMMU event and an edu mapping left': ('arm64', dma_left(dma_left(
        iommu_log(SMMU_EVENT), SMMU_QUEUE), EDU_MAPPING), False),
    'no VT-d fault': ('x86_64', iommu_log(), False),
    'no SMMU event': ('arm64', iommu_log(), False),
    'VT-d fault status only': ('x86_64', iommu_log(VTD_FAULT.split('\n')[0]), False),
    'VT-d fault and a warning': ('x86_64', iommu_log(
        VTD_FAULT, '[   20.0] WARNING: CPU: 0 PID: 1 at x.c:1'), False),
    'SMMU event and a call trace': ('arm64', iommu_log(SMMU_EVENT, '[   20.0] Call trace:'), False),
    'SMMU event on VT-d': ('x86_64', iommu_log(VTD_FAULT, SMMU_EVENT), False),
    'VT-d fault on SMMUv3': ('arm64', iommu_log(SMMU_EVENT, VTD_FAULT), False),
    'VT-d interrupt-remapping fault': ('x86_64', iommu_log(
        VTD_FAULT, '[   20.0] DMAR: [INTR-REMAP] Request device [00:03.0] fault index 0x0 '
        '[fault reason 0x25] Present field in the IRTE entry is clear'), False),
    'SMMU event words without an event': ('arm64', iommu_log(
        SMMU_EVENT, '\n'.join(SMMU_EVENT.split('\n')[1:])), False),
    'edu test skipped on VT-d': ('x86_64', iommu_log(VTD_FAULT).replace(
        'ok 1 selftests: drivers/misc/gdmabuf: gdmabuf_edu_test',
        'ok 1 selftests: drivers/misc/gdmabuf: gdmabuf_edu_test # SKIP'), False),
}

KUNIT_JSON = {'name': 'KUnit Test Group', 'test_cases': [], 'sub_groups': [
    {'name': 'gdmabuf_buffer', 'test_cases': [{'name': 'gdmabuf_plain', 'status': 'PASS'}],
     'sub_groups': [{'name': 'gdmabuf_buffer_sync_maintenance', 'sub_groups': [],
                     'test_cases': [{'name': 'cached', 'status': 'SKIP'}]}]}]}
KUNIT_SOURCE = '''static struct kunit_suite gdmabuf_buffer_suite = {
	.name = "gdmabuf_buffer",
	KUNIT_CASE(gdmabuf_plain),
	KUNIT_CASE_PARAM(gdmabuf_buffer_sync_maintenance, gen),
'''
KUNIT_SUMMARY = 'Testing complete. Ran 2 tests: passed: 1, skipped: 1\n'


def run(args):
    return subprocess.run([sys.executable] + args, capture_output=True, text=True).returncode


def main():
    bad = []
    with tempfile.TemporaryDirectory() as d:
        programs = os.path.join(d, 'programs')
        open(programs, 'w').write('\n'.join(PROGRAMS) + '\n')
        log = os.path.join(d, 'guest.log')
        guestlog = [os.path.join(HERE, 'guestlog.py'), 'selftest', log, 'x86_64', programs]
        open(log, 'w').write(clean_log())
        if run(guestlog):
            bad.append('guestlog.py fails the clean log')
        for name, breaker in BROKEN_LOGS.items():
            broken = breaker(clean_log())
            if broken is None:
                bad.append('%s: the clean log has no place to break' % name)
                continue
            open(log, 'w').write(broken)
            if run(guestlog) == 0:
                bad.append('guestlog.py passes a log with: %s' % name)

        # a guest with an edu that does not run its test at all
        open(programs, 'w').write('\n'.join(PROGRAMS[:2]) + '\n')
        open(log, 'w').write(clean_log(programs=PROGRAMS[:2]))
        if run(guestlog) == 0:
            bad.append('guestlog.py passes a guest with an edu that runs no gdmabuf_edu_test')
        # no allow-list entry lets the edu test skip where there is an edu
        allowed_skips.ALLOWED.append(('x86_64-iommu', 'kselftest', 'gdmabuf_edu_test*', 'x'))
        if not allowed_skips.judge('x86_64-iommu', 'kselftest',
                                   [('gdmabuf_edu_test/edu.dma', '')], ['edu']):
            bad.append('allowed_skips.py lets gdmabuf_edu_test skip where there is an edu')
        allowed_skips.ALLOWED.pop()

        open(programs, 'w').write('\n'.join(IOMMU_PROGRAMS) + '\n')
        for name, (arch, text, good) in IOMMU_LOGS.items():
            open(log, 'w').write(text)
            rc = run([guestlog[0], 'iommu', log, arch, programs])
            if good and rc:
                bad.append('guestlog.py fails an %s IOMMU log with: %s' % (arch, name))
            elif not good and rc == 0:
                bad.append('guestlog.py passes an %s IOMMU log with: %s' % (arch, name))

        src = os.path.join(d, 'src')
        os.mkdir(src)
        jpath, parsed, counts = (os.path.join(d, n) for n in ('k.json', 'k.txt', 'k.counts'))
        kunit = [os.path.join(HERE, 'kunit_results.py'), 'x86_64', jpath, parsed, src, counts]

        def kunit_case(source, tree, summary):
            open(os.path.join(src, 'gdmabuf_kunit.c'), 'w').write(source)
            json.dump(tree, open(jpath, 'w'))
            open(parsed, 'w').write(summary)
            return run(kunit)

        if kunit_case(KUNIT_SOURCE, KUNIT_JSON, KUNIT_SUMMARY):
            bad.append('kunit_results.py fails a clean run')
        broken_kunit = {
            'crashed': (KUNIT_SOURCE, KUNIT_JSON, KUNIT_SUMMARY.replace(
                'passed: 1,', 'passed: 1, crashed: 1,')),
            'no summary': (KUNIT_SOURCE, KUNIT_JSON, ''),
            'case not run': (KUNIT_SOURCE + '\tKUNIT_CASE(gdmabuf_other),\n',
                             KUNIT_JSON, KUNIT_SUMMARY),
            'suite not run': (KUNIT_SOURCE + 'static struct kunit_suite s = {\n'
                              '\t.name = "gdmabuf_more",\n', KUNIT_JSON, KUNIT_SUMMARY),
            'skip not allowed': (KUNIT_SOURCE.replace('sync_maintenance', 'other_test'),
                                 json.loads(json.dumps(KUNIT_JSON).replace(
                                     'sync_maintenance', 'other_test')), KUNIT_SUMMARY),
            'failed': (KUNIT_SOURCE, json.loads(json.dumps(KUNIT_JSON).replace(
                '"PASS"', '"FAIL"')), KUNIT_SUMMARY),
        }
        for name, case in broken_kunit.items():
            if kunit_case(*case) == 0:
                bad.append('kunit_results.py passes a run with: %s' % name)

    for b in bad:
        print('FAILED: %s' % b, file=sys.stderr)
    if bad:
        sys.exit(1)
    nbad = sum(not good for _, _, good in IOMMU_LOGS.values())
    print('judges: %d clean logs pass (%d of them IOMMU guests\'); %d broken guest logs'
          ' (%d of them IOMMU guests\', one without its edu test), a skip of the edu test'
          ' allowed where it must run and %d broken KUnit runs fail'
          % (1 + len(IOMMU_LOGS) - nbad, len(IOMMU_LOGS) - nbad, len(BROKEN_LOGS) + nbad + 1,
             nbad, len(broken_kunit)))


if __name__ == '__main__':
    main()
