"""A sampling profile of a running process tree (py-spy, from outside: the profiled
process runs unchanged) and its summary: the functions most often on the CPU (self) and
most often on the stack (total), as shares of the samples taken while it was busy."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

_LINE = re.compile(r" \(([^)]*?)(?::\d+)?\)$")


def py_spy() -> str | None:
    """The py-spy command, if installed (``pip install py-spy``, tests/requirements.txt)."""
    found = Path(sys.executable).with_name("py-spy")
    return str(found) if found.exists() else shutil.which("py-spy")


def record(pid: int, output: Path, rate: int = 200) -> subprocess.Popen:
    """Start sampling *pid* and its children (until stopped with ``stop``) into *output*."""
    return subprocess.Popen(
        [py_spy(), "record", "--pid", str(pid), "--subprocesses", "--nonblocking",
         "--rate", str(rate), "--format", "raw", "--output", str(output)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(process: subprocess.Popen) -> None:
    process.send_signal(2)  # py-spy writes its file on SIGINT
    process.wait(timeout=60)


# Frames every busy thread has below the work itself: left out of the "total" list.
_PLUMBING = ("threading.py)", "selectors.py)", "asyncio/", "futures/", "multiprocessing/",
             "<module>", "spawn_main", "runpy.py", "gateway/serving", "gunicorn/", "workers/",
             "push/runtime.py")


def _frame(frame: str) -> str:
    """``name (path:line)`` as ``name (folder/file)``: the same function, whatever line."""
    match = _LINE.search(frame)
    if not match:
        return frame.strip()
    name = frame[:match.start()].strip()
    path = Path(match.group(1))
    return f"{name} ({path.parent.name}/{path.name})"


def summarize(path: Path, top: int = 12) -> list[str]:
    """The summary lines of the raw (collapsed stacks) profile at *path*."""
    own, total, samples = Counter(), Counter(), 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = [_frame(f) for f in stack.split(";")
                  if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        samples += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            total[frame] += int(count)
    if not samples:
        return ["(no samples)"]
    lines = [f"{samples} samples of busy threads; self (on the CPU):"]
    lines += [f"  {n / samples:6.1%}  {f}" for f, n in own.most_common(top)]
    lines.append("total (on the stack), threading and event loop plumbing left out:")
    lines += [f"  {n / samples:6.1%}  {f}" for f, n in total.most_common()
              if not any(part in f for part in _PLUMBING)][:top]
    return lines
