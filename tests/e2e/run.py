# run.py - runs the bindwatch end-to-end tests: one line per test
# ("ok NAME", "FAIL NAME: reason", "skip NAME: reason"), then the summary
# line "e2e: N passed, N failed, N skipped"; exits 1 if any test failed.
# Usage: /usr/bin/python3 tests/e2e/run.py [SUBSTRING...]  (run matching tests only)
import os
import sys

sys.dont_write_bytecode = True  # keep the work tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import test_capture  # noqa: E402,F401  (registers tests)
import test_options  # noqa: E402,F401  (registers tests)
import test_environment  # noqa: E402,F401  (registers tests)
import test_hooks  # noqa: E402,F401  (registers tests)
import test_holders  # noqa: E402,F401  (registers tests)
import test_storms  # noqa: E402,F401  (registers tests)
import test_policy  # noqa: E402,F401  (registers tests)
import test_incidents  # noqa: E402,F401  (registers tests)
import test_trust_policy  # noqa: E402,F401  (registers tests)
import test_trust_storms  # noqa: E402,F401  (registers tests)
import test_trust_sinks  # noqa: E402,F401  (registers tests)
import test_trust_metrics  # noqa: E402,F401  (registers tests)
import test_trust_hooks  # noqa: E402,F401  (registers tests)
import test_trust_monitor  # noqa: E402,F401  (registers tests)
import test_trust_names  # noqa: E402,F401  (registers tests)
import test_trust_holders  # noqa: E402,F401  (registers tests)
import test_trust_signals  # noqa: E402,F401  (registers tests)
import test_replay  # noqa: E402,F401  (registers tests)
import test_operations  # noqa: E402,F401  (registers tests)
import test_records  # noqa: E402,F401  (registers tests)
import test_check  # noqa: E402,F401  (registers tests)
import test_ownership  # noqa: E402,F401  (registers tests)


def one_line(text):
    return " ".join(str(text).split("\n")).strip() or "(no message)"


def main(patterns):
    counts = {"ok": 0, "FAIL": 0, "skip": 0}
    for name, function, needs_root in harness.TESTS:
        if patterns and not any(p in name for p in patterns):
            continue
        harness.CURRENT_TEST = name
        if needs_root and os.geteuid() != 0:
            status, reason = "skip", "needs root"
        else:
            try:
                function()
                status, reason = "ok", None
            except harness.Skip as e:
                status, reason = "skip", one_line(e)
            except AssertionError as e:
                status, reason = "FAIL", one_line(e)
            except Exception as e:  # a broken test or machine: still a failure
                status, reason = "FAIL", one_line(f"{type(e).__name__}: {e}")
        counts[status] += 1
        print(f"{status} {name}" + (f": {reason}" if reason else ""), flush=True)
    print(f"e2e: {counts['ok']} passed, {counts['FAIL']} failed, {counts['skip']} skipped",
          flush=True)
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
