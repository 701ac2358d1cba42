#!/usr/bin/python3
"""Runs shell commands in turn, ROUNDS times, and prints the median and the minimum wall
time of each: side-by-side timings on a noisy machine (two builds of sitewatch, a peer),
each command's output discarded. It stops at the first command that fails.

Usage: scripts/alternate.py ROUNDS "command A" "command B" ...
"""
import statistics
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    rounds, commands = int(sys.argv[1]), sys.argv[2:]
    walls = {c: [] for c in commands}
    for _ in range(rounds):
        for c in commands:
            t0 = time.perf_counter()
            subprocess.run(c, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=True)
            walls[c].append(time.perf_counter() - t0)
    for c in commands:
        print(f"median {statistics.median(walls[c]):.3f} s  min {min(walls[c]):.3f} s  {c}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
