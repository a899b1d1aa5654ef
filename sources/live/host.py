"""Host CPU, memory, run-queue and disk figures from /proc, for servers running on this machine.

Managed databases expose these through CloudWatch; for a local server /proc
is the same evidence (CPU saturation, IO, memory pressure), so the rules can
use one vocabulary for both.

Once told the server's main process (``watch_server``), a reading also says how
much of the CPU the server's processes used (``host.cpu_server``) and how much of
the busy CPU went to processes other than the server and this one
(``host.cpu_others``): an outside hog takes the cores without the database doing
more, which the host's totals alone cannot tell from the database's own load.
sleuth's own process is left out: the observer (and, in the lab, the clients it
drives) is not the neighbour being looked for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_CPU_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
# The names a database server's processes go by (``/proc/PID/comm``), so a stale pid file or a
# pid from another pid namespace is never taken for the server.
SERVER_COMMANDS = frozenset({"mysqld", "mariadbd", "postgres", "postmaster"})


@dataclass(frozen=True)
class HostReading:
    counters: dict[str, float]
    gauges: dict[str, float]


class HostProbe:
    """Reads /proc (or a fake root in tests); CPU percentages need two readings, so the first has none."""

    def __init__(self, root: Path = Path("/"), own_pid: int | None = None) -> None:
        self._proc = root / "proc"
        self._last_cpu: list[float] | None = None
        self._own = os.getpid() if own_pid is None else own_pid
        self._server: int | None = None
        self._last_split: tuple[float, float] | None = None  # server's and own CPU ticks, last reading

    def available(self) -> bool:
        return (self._proc / "stat").is_file()

    def watch_server(self, pid: int) -> bool:
        """Account the CPU of the server whose main process is ``pid`` (and its children) from now
        on; ``False``, and nothing accounted, unless ``pid`` is a database server's process here."""
        try:
            command = (self._proc / str(pid) / "comm").read_text().strip()
        except OSError:
            return False
        if command not in SERVER_COMMANDS:
            return False
        self._server, self._last_split = pid, None
        return True

    def parent_of(self, pid: int) -> int | None:
        """The parent process of ``pid`` here, or ``None`` when there is no such process."""
        stat = _stat(self._proc, pid)
        return None if stat is None else int(stat[1])

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
                split = self._split()
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
                        busy = 100.0 - pct["idle"] - pct["iowait"]
                        gauges["host.cpu_percent"] = busy
                        if split is not None and self._last_split is not None:
                            server, own = (
                                100.0 * max(0.0, now - then) / total
                                for now, then in zip(split, self._last_split, strict=True)
                            )
                            gauges["host.cpu_server"] = server
                            gauges["host.cpu_others"] = max(0.0, busy - server - own)
                self._last_cpu = cpu
                self._last_split = split
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

    def server_ticks(self) -> float | None:
        """CPU clock ticks the watched server used so far: its main process, the children it reaped
        (a backend that ended) and those alive; ``None`` while none is watched or once it is gone."""
        if self._server is None:
            return None
        root = _stat(self._proc, self._server)
        if root is None:
            self._server = None
            return None
        ticks = sum(float(x) for x in root[11:15])  # utime, stime, cutime, cstime
        for pid in self._children():
            stat = _stat(self._proc, pid)
            if stat is not None and int(stat[1]) == self._server:
                ticks += float(stat[11]) + float(stat[12])
        return ticks

    def _split(self) -> tuple[float, float] | None:
        """CPU ticks so far of the watched server and of this process (``None``: no server)."""
        server = self.server_ticks()
        if server is None:
            return None
        own = _stat(self._proc, self._own)
        return server, 0.0 if own is None else float(own[11]) + float(own[12])

    def _children(self) -> list[int]:
        """The server's child processes: the kernel's list where it keeps one (a multithreaded
        server's main thread has none), else every process, whose parent the caller checks."""
        assert self._server is not None
        try:
            listed = (self._proc / str(self._server) / "task" / str(self._server) / "children").read_text()
        except OSError:
            return [
                int(e.name) for e in self._proc.iterdir() if e.name.isdigit() and int(e.name) != self._server
            ]
        return [int(pid) for pid in listed.split()]


def _stat(proc: Path, pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command (``[0]`` is the state, ``[1]`` the parent,
    ``[11:15]`` utime, stime, cutime, cstime), or ``None`` when the process is gone."""
    try:
        text = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    return fields if len(fields) > 14 else None


def _is_partition(name: str) -> bool:
    """sda1, vda2, nvme0n1p1 are partitions; sda, vda, nvme0n1 are devices."""
    if name.startswith("nvme") or name.startswith("mmcblk"):
        return "p" in name.rsplit("n", 1)[-1]
    return name[-1].isdigit()
