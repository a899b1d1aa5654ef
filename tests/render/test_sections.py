"""Every field of a diagnosis has its section: blamed statements, SQL to consider, health, windows, history."""

from __future__ import annotations

from models import (
    CauseFinding,
    Deviation,
    Diagnosis,
    Evidence,
    HealthCheck,
    Remediation,
    SimilarIncident,
    Subject,
    TimeWindow,
    TraceEvent,
)
from sleuth.render import how_text, markdown
from tests.render.zones import CET, local_zone

FIRST = TimeWindow(start=1763900450.0, end=1763900740.0)
SECOND = TimeWindow(start=1763901000.0, end=1763901060.0)

PLANNED = Diagnosis(
    incident="orders-0611",
    title="Checkout slow *again*",
    path="llm",
    window=FIRST,
    windows=[FIRST, SECOND],
    health=HealthCheck(
        healthy=False,
        method="max segment shift vs 200 shuffles",
        metrics=94,
        samples=150,
        statistic=8.4,
        threshold=3.1,
        p_value=0.005,
        resamples=200,
        strongest=Deviation(metric="commit_latency", window=FIRST, baseline=1.97, anomaly=40.0, score=94.7),
    ),
    causes=[
        CauseFinding(
            cause="missing_index",
            title="Missing index",
            certainty=0.7,
            score=0.6,
            coverage=0.4,
            source="llm",
            window=SECOND,
            evidence=[
                Evidence(
                    kind="observation",
                    name="top_sql",
                    values={
                        "digest": "77de",
                        "calls": 9000.0,
                        "mean_ms": 900.0,
                        "share_of_time": 0.99,
                        "certainty": 0.9,
                    },
                    text="SELECT * FROM orders WHERE coupon_code = $1 <script>",
                )
            ],
            subjects=[
                Subject(
                    kind="statement",
                    name="77de",
                    text="SELECT `id` FROM orders WHERE coupon_code = $1",
                    table="public.orders",
                    values={"calls": 9000.0, "total_time_ms": 8.1e6},
                ),
                Subject(
                    kind="table", name="public.orders", values={"size_bytes": 1.752e8, "dead_rows": 12000.0}
                ),
                Subject(kind="index", name="orders_pkey", table="public.orders", columns=["id"]),
            ],
            remediations=[
                Remediation(
                    id="add_index",
                    title="Add the missing index",
                    risk="medium",
                    description="build it online",
                    statements=["CREATE INDEX CONCURRENTLY ON public.orders (coupon_code)"],
                )
            ],
        )
    ],
    similar=[
        SimilarIncident(
            record=12,
            incident="orders-0522",
            similarity=0.93,
            causes=["missing_index"],
            note="fixed by an index",
            recorded_at=1747900000.0,
        )
    ],
    trace=[
        TraceEvent(
            kind="model", name="choose_checks", elapsed_ms=840.0, prompt_tokens=512, completion_tokens=12
        ),
        TraceEvent(kind="tool", name="top_sql", elapsed_ms=12.5),
        TraceEvent(kind="tool", name="explain", elapsed_ms=3.0, ok=False, error="permission denied"),
        TraceEvent(kind="note", name="incident"),
    ],
    errors=["reflection: dropped 1 conclusion"],
)

PLANNED_MARKDOWN = """\
## orders-0611 — Checkout slow \\*again\\*

Diagnosed by **the planner**; window 2025-11-23 13:20:50 – 13:25:40 CET (290 s), given.

### Health

- **a segment differs from the rest**: statistic 8.4 against threshold 3.1, p 0.005 (94 metrics × 150 samples, \
200 resamples; max segment shift vs 200 shuffles)
- largest deviation: `commit_latency` 1.97 ms → 40 ms (z 94.7) over 2025-11-23 13:20:50 – 13:25:40 CET (290 s)

### Abnormal windows

- 2025-11-23 13:20:50 – 13:25:40 CET (290 s)
- 2025-11-23 13:30:00 – 13:31:00 CET (60 s)

### 1. Missing index (`missing_index`)

Certainty 0.70, score 0.60, graph coverage 40%, from the planner; measured on window 2025-11-23 13:30:00 – \
13:31:00 CET (60 s), given.

Evidence:

- observation `top_sql`: digest=77de, calls=9K, mean_ms=900 ms, share_of_time=99% — SELECT \\* FROM orders WHERE \
coupon_code = $1 \\<script>

How:

- no rule chain: concluded by the planner

Blamed:

- statement `77de` on `public.orders`: `` SELECT `id` FROM orders WHERE coupon_code = $1 `` (calls=9K, \
total_time_ms=2.25 h)
- table `public.orders` (size_bytes=167 MiB, dead_rows=12K)
- index `orders_pkey` on `public.orders` (id)

Remediation:

1. **Add the missing index** (medium risk) — build it online

   ```sql
   CREATE INDEX CONCURRENTLY ON public.orders (coupon_code);
   ```

### Similar past incidents

- \\#12 `orders-0522` (similarity 0.93, recorded 2025-05-22 09:46:40 CEST): missing_index — fixed by an index

### Investigation

- model `choose_checks` 840 ms, 512+12 tokens: ok
- tool `top_sql` 12.5 ms: ok
- tool `explain` 3 ms: failed: permission denied

### Errors

- reflection: dropped 1 conclusion
"""


def test_every_section_of_a_planner_diagnosis() -> None:
    with local_zone(CET):
        assert markdown(PLANNED, units={"commit_latency": "ms"}) == PLANNED_MARKDOWN


def test_the_terminal_shows_the_same_pieces() -> None:
    with local_zone(CET):
        text = how_text(PLANNED)
    assert text.splitlines()[1:] == [
        "1. Missing index (missing_index): certainty 0.70, score 0.60, graph coverage 40%, from the planner",
        "  measured on window 2025-11-23 13:30:00 – 13:31:00 CET (60 s), given",
        "  evidence:",
        "    observation top_sql: digest=77de, calls=9K, mean_ms=900 ms, share_of_time=99% — SELECT * FROM orders "
        "WHERE coupon_code = $1 <script>",
        "  how:",
        "    no rule chain: concluded by the planner",
        "  blames:",
        "    statement 77de on public.orders: SELECT `id` FROM orders WHERE coupon_code = $1 (calls=9K, "
        "total_time_ms=2.25 h)",
        "    table public.orders (size_bytes=167 MiB, dead_rows=12K)",
        "    index orders_pkey on public.orders (id)",
        "  remediation:",
        "    1. Add the missing index (medium risk) — build it online",
        "      CREATE INDEX CONCURRENTLY ON public.orders (coupon_code)",
        "error: reflection: dropped 1 conclusion",
    ]


def test_a_healthy_capture_says_what_was_tested() -> None:
    quiet = Diagnosis(
        incident="quiet-1",
        path="healthy",
        label_healthy=True,
        health=HealthCheck(
            healthy=True,
            method="m",
            metrics=10,
            samples=60,
            statistic=1.2,
            threshold=3.1,
            p_value=0.42,
            resamples=200,
        ),
    )
    assert markdown(quiet) == (
        "## quiet-1\n\n"
        "**Healthy**; no anomaly window; labelled healthy.\n\n"
        "### Health\n\n"
        "- **nothing abnormal**: statistic 1.2 against threshold 3.1, p 0.42 (10 metrics × 60 samples, "
        "200 resamples; m)\n\n"
        "No anomaly: the capture looks healthy.\n"
    )


def test_data_cannot_open_blocks_or_break_code_spans() -> None:
    hostile = Diagnosis(
        incident="x-1",
        title="# not a heading",
        path="inconclusive",
        errors=["1. not a list", "- nor this", "[click](http://example.invalid) <img src=x>"],
    )
    assert markdown(hostile).splitlines()[-3:] == [
        "- 1\\. not a list",
        "- \\- nor this",
        "- [click\\](http://example.invalid) \\<img src=x>",
    ]
