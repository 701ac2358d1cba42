#!/usr/bin/python3
"""Run the bad-input corpus (tests/bad_inputs/make_corpus.py) against a sitewatch binary.

    run_corpus.py BINARY [--dir DIR] [--only ID,ID] [--timeout S] [-v]

Builds the corpus (in a temporary folder unless --dir), runs every case with a timeout (a
hang is a failure), checks exit code, messages, the rows of the other scenes, the scenes
table and PRAGMA integrity_check of every GeoPackage the case leaves, and prints one line per
case and a summary. Exit 1 if a case fails, or if a case marked known_failure passes
(so the list of known failures stays honest); 0 otherwise.
"""
import argparse
import hashlib
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_corpus  # noqa: E402

NOBODY = 65534


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def fill(text, names):
    for k, v in names.items():
        text = text.replace("{" + k + "}", v)
    return text


def expand(step, case, names):
    """The argument list of a step, {STD} spliced."""
    args = []
    for a in step.get("args", case["args"]):
        if a == "{STD}":
            get = lambda k, d: step.get(k, case.get(k, d))  # noqa: E731
            args += ["run", "--scenes", get("scenes", "{BASE}/scenes"),
                     "--sites", get("sites", "{BASE}/sites.geojson"),
                     "--config", get("config", "{BASE}/config.toml"),
                     "--out", get("out", "{OUT}/o.gpkg")]
            if get("quiet", True):
                args.append("-q")
        else:
            args.append(a)
    return [fill(a, names) for a in args]


def gpkg_files(*folders):
    found = []
    for folder in folders:
        for d, _, files in os.walk(folder):
            found += [os.path.join(d, f) for f in files if f.endswith(".gpkg")]
    return sorted(found)


def integrity(path):
    try:
        # read-write: a hot journal left by a process killed mid-commit is rolled back
        # first, as any reader (sitewatch --resume included) would
        con = sqlite3.connect(path)
        res = con.execute("PRAGMA integrity_check").fetchall()
        con.close()
    except sqlite3.DatabaseError as e:
        return f"not a database ({e})"
    return "ok" if res == [("ok",)] else "; ".join(r[0] for r in res[:5])


def tables(path):
    """site_counts and detections without run_id and fid, as sorted row lists."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    out = {}
    for t in ("site_counts", "detections"):
        cols = [r[1] for r in con.execute(f"PRAGMA table_info({t})")
                if r[1] not in ("fid", "run_id")]
        out[t] = sorted(con.execute(f"SELECT {', '.join(cols)} FROM {t}").fetchall(), key=repr)
    con.close()
    return out


def scene_rows(path):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    n = con.execute("SELECT COUNT(DISTINCT scene_id) FROM site_counts").fetchone()[0]
    st = dict(con.execute("SELECT status, COUNT(*) FROM scenes GROUP BY status").fetchall())
    con.close()
    return n, st


def drop_to_nobody():
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def nobody_can_run(binary, root):
    """Whether uid 65534 can run the binary and read the corpus (root only)."""
    try:
        r = subprocess.run([binary, "run", "--help"], preexec_fn=drop_to_nobody,
                           capture_output=True, timeout=30)
        return r.returncode == 0 and subprocess.run(
            ["ls", root], preexec_fn=drop_to_nobody, capture_output=True).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def run_step(binary, args, step, case, log_path, delay=0.1):
    """Run one command; returns (exit code or 'timeout', output)."""
    # a follow-up step inherits the case's paths, not its limits, user or signal
    timeout = step.get("timeout", case.get("timeout", 60))
    fsize, user, sig = step.get("fsize"), step.get("user"), step.get("signal")
    when, count = step.get("signal_when", "pairs"), step.get("signal_count", 1)

    def pre():
        os.setsid()
        if fsize:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        if user == "nobody":
            drop_to_nobody()

    with open(log_path, "wb") as log:
        p = subprocess.Popen([binary] + args, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, preexec_fn=pre)
        start = time.monotonic()
        if sig:
            # once the run has begun ('start': its first log line, while the scenes are
            # indexed; 'pairs': once its pairs are planned, 0.1 s into the work), the signal
            mark = b"indexing" if when == "start" else b" pairs ("
            while time.monotonic() - start < timeout and p.poll() is None:
                with open(log_path, "rb") as f:
                    if mark in f.read():
                        break
                time.sleep(0.002)
            if when != "start":
                time.sleep(delay)
            for _ in range(count):
                if p.poll() is None:
                    p.send_signal(getattr(signal, sig))
                time.sleep(0.02)
        try:
            code = p.wait(timeout=max(1, timeout - (time.monotonic() - start)))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            code = "timeout"
    with open(log_path, "rb") as f:
        out = f.read().decode("utf-8", "replace")
    if isinstance(code, int) and code < 0:
        code = f"killed by {signal.Signals(-code).name}"
    return code, out


def check_step(binary, step, case, names, out_dir, clean, log_path):
    """Run a step and compare with its expectations; returns a list of problems."""
    problems = []
    args = expand(step, case, names)
    unchanged = step.get("unchanged", case.get("unchanged")) if step is case else step.get(
        "unchanged")
    before = sha256(fill(unchanged, names)) if unchanged else None
    code, out = run_step(binary, args, step, case, log_path)
    # a run that ended before its signal came proves nothing: again, the signal sooner
    for _ in range(3):
        if not step.get("signal") or code != 0:
            break
        shutil.rmtree(out_dir)
        os.makedirs(out_dir)
        os.chmod(out_dir, 0o777)
        code, out = run_step(binary, args, step, case, log_path, delay=0.0)
    expected = step["exit"] if isinstance(step["exit"], list) else [step["exit"]]
    if code not in expected:
        problems.append(f"exit {code}, expected {' or '.join(map(str, expected))}")
    for s in step.get("contains", []):
        s = fill(s, names)
        if s not in out:
            problems.append(f"output lacks {s!r}")
    if (("killed by" in str(code) and code not in expected) or "Segmentation" in out
            or "terminate called" in out):
        problems.append("crashed")
    gp = step.get("gpkg", "any")
    main = os.path.join(out_dir, "o.gpkg")
    if gp == "none":
        left = sorted(os.listdir(out_dir))
        if left:
            problems.append(f"left {left} in the output folder")
    elif gp == "intact" and not os.path.exists(main):
        problems.append("no o.gpkg")
    if unchanged and sha256(fill(unchanged, names)) != before:
        problems.append(f"{os.path.basename(unchanged)} was changed")
    for g in gpkg_files(out_dir, case["dir"]):
        if unchanged and g == fill(unchanged, names):
            continue  # not ours to open (a text file named .gpkg, another program's file)
        res = integrity(g)
        if res != "ok":
            problems.append(f"integrity_check of {os.path.basename(g)}: {res}")
    if ("rows" in step or "status" in step) and os.path.exists(main):
        try:
            n, st = scene_rows(main)
            if "rows" in step and n != step["rows"]:
                problems.append(f"site_counts has rows of {n} scenes, expected {step['rows']}")
            if "status" in step and st != step["status"]:
                problems.append(f"scenes table {st}, expected {step['status']}")
        except sqlite3.DatabaseError as e:
            problems.append(f"cannot read o.gpkg: {e}")
    elif ("rows" in step or "status" in step) and not os.path.exists(main):
        problems.append("no o.gpkg to count rows in")
    for query, value in step.get("sql", []):
        try:
            con = sqlite3.connect(main)
            got = con.execute(fill(query, names)).fetchone()[0]
            con.close()
        except sqlite3.Error as e:
            got = f"error {e}"
        if got != value:
            problems.append(f"{fill(query, names)} gave {got}, expected {value}")
    if step.get("same_as_clean") and os.path.exists(main):
        got = tables(main)
        for t in ("site_counts", "detections"):
            if got[t] != clean[t]:
                problems.append(f"{t}: {len(got[t])} rows differ from an uninterrupted run's "
                                f"{len(clean[t])}")
    return problems, code, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--dir", help="build the corpus here and keep it (default: a temp folder)")
    ap.add_argument("--only", help="comma-separated case ids")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the output of failures")
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)
    t0 = time.monotonic()
    root = os.path.abspath(a.dir) if a.dir else tempfile.mkdtemp(prefix="sw-bad-inputs-")
    os.makedirs(root, exist_ok=True)
    os.chmod(root, 0o755)  # the cases run as nobody must reach it
    only = set(a.only.split(",")) if a.only else None
    cases = make_corpus.build(binary, root, only)
    built = time.monotonic() - t0
    # the uninterrupted run that --resume after a signal or a full disk must equal
    clean_dir = os.path.join(root, "clean")
    shutil.rmtree(clean_dir, ignore_errors=True)
    os.makedirs(clean_dir)
    base = os.path.join(root, "base")
    r = subprocess.run([binary, "run", "--scenes", base + "/scenes", "--sites",
                        base + "/sites.geojson", "--config", base + "/config.toml", "--out",
                        clean_dir + "/o.gpkg", "-q"], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        print(f"the base archive's run failed ({r.returncode}): {r.stderr}")
        return 1
    clean = tables(clean_dir + "/o.gpkg")

    nobody_ok = os.geteuid() != 0 or nobody_can_run(binary, root)
    counts = {"PASS": 0, "FAIL": 0, "XFAIL": 0, "XPASS": 0, "SKIP": 0}
    bad = []
    for case in cases:
        out_dir = os.path.join(root, "out", case["id"])
        shutil.rmtree(out_dir, ignore_errors=True)
        os.makedirs(out_dir)
        os.chmod(out_dir, 0o777)
        names = dict(case["names"], OUT=out_dir)
        t = time.monotonic()
        if case.get("user") == "nobody" and os.geteuid() != 0:
            case = dict(case, user=None)  # not root: file permissions apply to us already
        if case.get("user") == "nobody" and not nobody_ok:
            verdict, problems = "SKIP", [
                "root ignores file permissions and uid 65534 cannot run the binary or read "
                "the corpus here"]
        else:
            log = os.path.join(out_dir, "..", case["id"] + ".log")
            problems, code, out = check_step(binary, case, case, names, out_dir, clean, log)
            for i, step in enumerate(case.get("then", [])):
                if problems:
                    break
                p2, code, out = check_step(binary, step, case, names, out_dir, clean,
                                           f"{log}.{i + 1}")
                problems += [f"then #{i + 1}: {p}" for p in p2]
            kf = case.get("known_failure")
            verdict = ("XFAIL" if problems else "XPASS") if kf else (
                "FAIL" if problems else "PASS")
        counts[verdict] += 1
        detail = "; ".join(problems)
        if verdict == "XFAIL":
            detail = f"known failure: {case['known_failure']} [{detail}]"
        elif verdict == "XPASS":
            detail = f"marked known failure ({case['known_failure']}) but passes: remove the mark"
        print(f"{verdict:5} {case['area']:8} {case['id']:42} {time.monotonic() - t:5.1f}s  {detail}",
              flush=True)
        if verdict in ("FAIL", "XPASS"):
            bad.append(case["id"])
            if a.verbose and verdict == "FAIL":
                print("      " + " ".join(expand(case, case, names)))
                print("      | " + out.strip().replace("\n", "\n      | ")[-3000:])
    total = time.monotonic() - t0
    by_area = {}
    for c in cases:
        by_area[c["area"]] = by_area.get(c["area"], 0) + 1
    print(f"\n{len(cases)} cases ({', '.join(f'{k} {v}' for k, v in by_area.items())}): "
          + ", ".join(f"{v} {k.lower()}" for k, v in counts.items() if v)
          + f"; corpus built in {built:.1f} s, all in {total:.1f} s; under {root}")
    if bad:
        print("failing: " + ", ".join(bad))
    if not a.dir:
        subprocess.run(["chmod", "-R", "u+rwX", root], check=False)
        shutil.rmtree(root, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
