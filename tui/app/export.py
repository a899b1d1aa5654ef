"""Writing a diagnosis out of the UI, for the incident ticket or another tool.

JSON is the ``models.Diagnosis`` contract verbatim, so anything that reads
``sleuth diagnose --format json`` reads this too; Markdown is the report
``sleuth diagnose --format markdown`` prints, with the WHY NOT answers the
user asked for on this screen.

Reports go to the directory sleuth was started from, never into the folder
of incidents it watches: that tree is the DBA's source material (often
under version control or synced), and a report written there is one more
file the list has to ignore. Started from inside that folder, reports go to
``reports/`` in sleuth's data directory instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from models import Diagnosis, WhyNot
    from sleuth.render import Units

ExportFormat = Literal["markdown", "json"]
SUFFIX: dict[ExportFormat, str] = {"markdown": ".diagnosis.md", "json": ".diagnosis.json"}


def reports_dir(watched: Path, cwd: Path | None = None) -> Path:
    """Where reports go by default: the working directory (``.``, so the path offered is short),
    unless it lies inside the watched tree."""
    from sleuth import user_data_dir

    here = (cwd or Path.cwd()).resolve()
    root = watched.resolve()
    root = root if root.is_dir() else root.parent
    return user_data_dir() / "reports" if here.is_relative_to(root) else Path()


def default_export_path(incident_path: Path, fmt: ExportFormat, directory: Path) -> Path:
    """``orders.diagnosis.md`` for ``orders.json``, in ``directory``."""
    stem = incident_path.stem if incident_path.suffix else incident_path.name
    return directory / (stem + SUFFIX[fmt])


def render(
    diagnosis: Diagnosis, fmt: ExportFormat, *, units: Units | None = None, why_not: Sequence[WhyNot] = ()
) -> str:
    from sleuth.render import diagnosis_json, markdown

    if fmt == "json":
        return diagnosis_json(diagnosis)
    return markdown(diagnosis, units=units or {}, why_not=why_not)


def export_diagnosis(
    diagnosis: Diagnosis,
    path: Path,
    fmt: ExportFormat,
    *,
    units: Units | None = None,
    why_not: Sequence[WhyNot] = (),
    make_parent: bool = False,
) -> Path:
    """Write the report. A typed directory must exist (a typo should fail, not create trees);
    ``make_parent`` is for sleuth's own reports directory."""
    if make_parent:
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(diagnosis, fmt, units=units, why_not=why_not), encoding="utf-8")
    return path
