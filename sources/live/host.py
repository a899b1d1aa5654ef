"""Host CPU, memory, run-queue and disk figures from /proc, for servers running on this machine.

Managed databases expose these through CloudWatch; for a local server /proc
is the same evidence (CPU saturation, IO, memory pressure), so the rules can
use one vocabulary for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_CPU_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


@dataclass(frozen=True)
class HostReading:
    counters: dict[str, float]
    gauges: dict[str, float]


class HostProbe:
    """Reads /proc (or a fake root in tests); CPU percentages need two readings, so the first has none."""

    def __init__(self, root: Path = Path("/")) -> None:
        self._proc = root / "proc"
        self._last_cpu: list[float] | None = None

    def available(self) -> bool:
        return (self._proc / "stat").is_file()

    def read(self) -> HostReading:
        counters: dict[str, float] = {}
        gauges: dict[str, float] = {}
        self._read_stat(gauges)
        self._read_meminfo(gauges)
        self._read_loadavg(gauges)
        self._read_diskstats(counters)
        return HostReading(counters=counters, gauges=gauges)

    def _read_stat(self, gauges: dict[str, float]) -> None:
        try:
            lines = (self._proc / "stat").read_text().splitlines()
        except OSError:
            return
        for line in lines:
            parts = line.split()
            if parts and parts[0] == "cpu":
                cpu = [float(x) for x in parts[1 : 1 + len(_CPU_FIELDS)]]
                cpu += [0.0] * (len(_CPU_FIELDS) - len(cpu))
                if self._last_cpu is not None:
                    deltas = [max(0.0, a - b) for a, b in zip(cpu, self._last_cpu, strict=True)]
                    total = sum(deltas)
                    if total > 0:
                        pct = dict(zip(_CPU_FIELDS, (100.0 * d / total for d in deltas), strict=True))
                        gauges["host.cpu_user"] = pct["user"] + pct["nice"]
                        gauges["host.cpu_system"] = pct["system"] + pct["irq"] + pct["softirq"]
                        gauges["host.cpu_iowait"] = pct["iowait"]
                        gauges["host.cpu_idle"] = pct["idle"]
                        gauges["host.cpu_steal"] = pct["steal"]
                        gauges["host.cpu_percent"] = 100.0 - pct["idle"] - pct["iowait"]
                self._last_cpu = cpu
            elif parts and parts[0] in ("procs_running", "procs_blocked") and len(parts) > 1:
                gauges[f"host.{parts[0]}"] = float(parts[1])

    def _read_meminfo(self, gauges: dict[str, float]) -> None:
        try:
            text = (self._proc / "meminfo").read_text()
        except OSError:
            return
        kb: dict[str, float] = {}
        for line in text.splitlines():
            name, _, rest = line.partition(":")
            fields = rest.split()
            if fields:
                kb[name.strip()] = float(fields[0])
        if "MemTotal" in kb and "MemAvailable" in kb and kb["MemTotal"] > 0:
            gauges["host.memory_available"] = kb["MemAvailable"] * 1024.0
            gauges["host.memory_used_pct"] = 100.0 * (1.0 - kb["MemAvailable"] / kb["MemTotal"])
        if "SwapTotal" in kb and "SwapFree" in kb:
            gauges["host.swap_used"] = (kb["SwapTotal"] - kb["SwapFree"]) * 1024.0

    def _read_loadavg(self, gauges: dict[str, float]) -> None:
        try:
            first = (self._proc / "loadavg").read_text().split()[0]
        except (OSError, IndexError):
            return
        gauges["host.load1"] = float(first)

    def _read_diskstats(self, counters: dict[str, float]) -> None:
        try:
            lines = (self._proc / "diskstats").read_text().splitlines()
        except OSError:
            return
        reads = writes = read_sectors = write_sectors = 0.0
        for line in lines:
            parts = line.split()
            # Whole devices only: partitions would count the same IO twice; loop/ram devices are noise.
            if len(parts) < 10 or parts[2].startswith(("loop", "ram", "dm-")) or _is_partition(parts[2]):
                continue
            reads += float(parts[3])
            read_sectors += float(parts[5])
            writes += float(parts[7])
            write_sectors += float(parts[9])
        counters["host.read_iops"] = reads
        counters["host.write_iops"] = writes
        counters["host.disk_read_sectors"] = read_sectors
        counters["host.disk_write_sectors"] = write_sectors

    def memory_gb(self) -> float | None:
        try:
            for line in (self._proc / "meminfo").read_text().splitlines():
                if line.startswith("MemTotal:"):
                    return round(float(line.split()[1]) / 1024.0 / 1024.0, 2)
        except (OSError, ValueError, IndexError):
            return None
        return None


def _is_partition(name: str) -> bool:
    """sda1, vda2, nvme0n1p1 are partitions; sda, vda, nvme0n1 are devices."""
    if name.startswith("nvme") or name.startswith("mmcblk"):
        return "p" in name.rsplit("n", 1)[-1]
    return name[-1].isdigit()
