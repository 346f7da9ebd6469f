"""The load generator of the HTTP benchmarks: wrk (https://github.com/wg/wrk, C, epoll),
``apt-get install wrk``, with a Lua script that spreads its requests over many paths.

wrk is not the bottleneck, and each run says so with figures: it reports wrk's own CPU
time (from the kernel's accounting of this child) beside the server's, per request. A
Python client, as the first benchmarks used, spent more CPU per request than the server
and pulled every ratio towards 1.
"""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# One request per target line "<path>\t<cookie or ->", in turn; each connection starts at
# its own place so that 2,000 targets are all read in every second of the run.
SPREAD_LUA = r"""
local targets = {}
local at = 0
function init(args)
  for line in io.lines(args[1]) do
    local path, cookie = line:match("([^\t]+)\t([^\t]+)")
    targets[#targets + 1] = {path, cookie}
  end
  at = math.random(#targets)
end
function request()
  at = at % #targets + 1
  local target = targets[at]
  if target[2] == "-" then
    return wrk.format("GET", target[1])
  end
  return wrk.format("GET", target[1], {["Cookie"] = target[2]})
end
"""


@dataclass(frozen=True)
class Run:
    requests: int
    seconds: float
    errors: int  # socket errors and answers other than 2xx/3xx
    p50_ms: float
    p99_ms: float
    wrk_cpu: float  # seconds of CPU wrk used

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def available() -> bool:
    return shutil.which("wrk") is not None


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run(base: str, targets: list[tuple[str, str | None]], *, seconds: float,
        connections: int, threads: int = 1) -> Run:
    """wrk against *base* for *seconds* with *connections* kept-alive connections, the
    requests spread over *targets* (path, Cookie header or None) in turn."""
    with tempfile.TemporaryDirectory() as folder:
        script, listing = Path(folder) / "spread.lua", Path(folder) / "targets.tsv"
        script.write_text(SPREAD_LUA)
        listing.write_text("".join(f"{path}\t{cookie or '-'}\n" for path, cookie in targets))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency",
             "-s", str(script), base, "--", str(listing)],
            capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = re.search(r"(\d+) requests in ([\d.]+)(ms|s)", out)
    took = float(done.group(2)) / (1000 if done.group(3) == "ms" else 1)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    latency = dict(re.findall(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+(?:us|ms|s))\s*$", out, re.M))
    return Run(int(done.group(1)), took, errors + (int(non_2xx.group(1)) if non_2xx else 0),
               _ms(latency.get("50", "0us")), _ms(latency.get("99", "0us")),
               (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime))
