"""``python -m ternsig.conformance emit CASE_DIR`` | ``check DIR...``"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .compare import case_id, check_case
from .runner import emit_case, find_cases


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ternsig.conformance")
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("emit", help="print this engine's output for one case as JSON")
    e.add_argument("case")
    c = sub.add_parser("check", help="compare every case below the directories")
    c.add_argument("dirs", nargs="+")
    c.add_argument("-v", "--verbose", action="store_true", help="also print passing cases and notes")
    args = ap.parse_args(argv)

    if args.cmd == "emit":
        print(json.dumps(emit_case(Path(args.case)), sort_keys=True))
        return 0

    missing = [d for d in args.dirs if not Path(d).is_dir()]
    if missing:
        print(f"python -m ternsig.conformance check: no such directory: {missing[0]}", file=sys.stderr)
        return 2
    passed = failed = 0
    for d in args.dirs:
        for case in find_cases(Path(d)):
            try:
                ok, failures, notes = check_case(case, emit_case(case))
            except Exception as exc:  # a crash in one case must not hide the others
                ok, failures, notes = False, [f"crashed: {type(exc).__name__}: {exc}"], []
            if ok:
                passed += 1
                if args.verbose:
                    print(f"PASS {case_id(case)}")
                    for n in notes:
                        print(f"     note: {n}")
            else:
                failed += 1
                print(f"FAIL {case_id(case)}: {failures[0]}")
    print(f"{passed} passed, {failed} failed")
    if passed + failed == 0:
        print("python -m ternsig.conformance check: no cases found (a case is a directory with a "
              "source and an expected output)", file=sys.stderr)
        return 1
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
