"""Case selection for the VM tests (tests/vm/py/test_*.py, through
payterm_uapi.TestRunner, or a main of its own).

    python3 tests/vm/py/test_core.py [CASE...]      (in the guest)
    tests/vm/t-core [CASE...]                       (the wrappers pass them on)

No CASE runs every case.  A name that is not a case is a usage error
(exit 2, the list of cases on stderr), never "0 cases, passed"; and a test
left with no case to run fails (exit 1).
"""
import os
import sys


def select(argv, names):
    """The case names to run, in definition order, for argv[1:]."""
    prog = os.path.basename(argv[0]) if argv else 'test'
    want = argv[1:]
    unknown = [n for n in want if n not in names]
    if unknown:
        print('%s: unknown case%s: %s\n%s: cases: %s' % (
            prog, 's' if len(unknown) > 1 else '', ' '.join(unknown),
            prog, ' '.join(names) or '(none)'), file=sys.stderr, flush=True)
        sys.exit(2)
    picked = [n for n in names if not want or n in want]
    if not picked:
        print('%s: no case to run' % prog, file=sys.stderr, flush=True)
        sys.exit(1)
    return picked
