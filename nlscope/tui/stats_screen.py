"""The statistics screen: messages by family and type, errors by errno, transaction
status and latency percentiles, over the shown rows (the filter applies)."""
from __future__ import annotations

import importlib
from collections import Counter
from dataclasses import dataclass, field

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..decode.decoder import errno_name
from ..decode.index import CaptureIndex
from .rows import family_color, fmt_latency
from ..analysis.txindex import STATUS_NAMES, TxnIndex


@dataclass
class Stats:
    messages: int = 0
    frames: int = 0
    by_family: Counter = field(default_factory=Counter)
    by_type: Counter = field(default_factory=Counter)  # (family, type name)
    errors: Counter = field(default_factory=Counter)  # errno name
    status: Counter = field(default_factory=Counter)
    latencies_ns: list[int] = field(default_factory=list)
    malformed: int = 0
    library_text: str | None = None  # nlscope.analysis.stats' report

    def percentiles(self) -> dict[str, int]:
        lat = sorted(self.latencies_ns)
        if not lat:
            return {}
        pick = lambda q: lat[min(len(lat) - 1, int(q * (len(lat) - 1) + 0.5))]
        return {"min": lat[0], "p50": pick(0.5), "p90": pick(0.9), "p99": pick(0.99), "max": lat[-1]}


def compute_stats(ix: CaptureIndex, txns: TxnIndex, rows=None, cancelled=lambda: False) -> Stats:
    """Counts from the index arrays (no decoding but one message per (family, type)
    to name it)."""
    st = Stats()
    n = ix.count if rows is None else len(rows)
    st.messages = n
    names: dict[tuple[int, int, int], tuple[str, str]] = {}
    seen_txn: set[int] = set()
    frames: set[int] = set()
    m_type, m_err, m_frame, fr_proto = ix.m_type, ix.m_err, ix.m_frame, ix.fr_proto
    limit = len(txns.m_txn)
    for k in range(n):
        if k % 50_000 == 0 and cancelled():
            break
        i = k if rows is None else rows[k]
        fi = m_frame[i]
        frames.add(fi)
        mt = m_type[i]
        proto = fr_proto[fi]
        if mt < 0:
            st.malformed += 1
        sub = ix.m_flags[i] & 1 if proto == 16 else 0
        key = (proto, mt, sub)
        if key not in names:
            m = ix.message(i)
            names[key] = (m.family, m.type_name or "FRAGMENT")
        fam, tname = names[key]
        st.by_family[fam] += 1
        st.by_type[(fam, tname)] += 1
        if (mt == 2 and m_err[i]) or (mt == 3 and m_err[i] < 0):
            st.errors[errno_name(m_err[i]) or str(m_err[i])] += 1
        if i < limit:
            t = txns.m_txn[i]
            if t not in seen_txn:
                seen_txn.add(t)
    for t in seen_txn:
        s = txns.status(t)
        st.status[STATUS_NAMES[s]] += 1
        info_first, info_last = txns.t_first[t], txns.t_last[t]
        if info_first != info_last and ix.is_request(info_first):
            st.latencies_ns.append(ix.ts(info_last) - ix.ts(info_first))
    st.frames = len(frames)
    st.library_text = _library_text(ix, rows, cancelled)
    return st


LIBRARY_LIMIT = 200_000  # messages: above, the index's counts alone (decoding all is slow)


def _library_text(ix: CaptureIndex, rows, cancelled) -> str | None:
    """nlscope.analysis.stats' full report (per-request latency, extack texts, talkers), when
    the library is installed and the shown messages are few enough to decode."""
    try:
        lib = importlib.import_module("nlscope.analysis.stats")
        tlib = importlib.import_module("nlscope.analysis.transactions")
    except ImportError:
        return None
    which = range(ix.count) if rows is None else list(rows)
    if len(which) > LIBRARY_LIMIT:
        return None
    st = lib.Stats()
    txns: dict[int, object] = {}

    def msgs():
        for k, i in enumerate(which):
            if k % 5000 == 0 and cancelled():
                return
            fi = ix.m_frame[i]
            yield ix.decoder.decode(ix.frame_messages(fi)[i - ix.fr_first[fi]])
    try:
        for m, t in tlib.correlate(msgs()):
            st.add_message(m, t)
            if t is not None:
                txns.setdefault(id(t), t)
        for t in txns.values():
            st.add_transaction(t)
        return st.text()
    except Exception as e:  # the report is a bonus: the counts above stand
        return f"(nlscope.analysis.stats failed: {type(e).__name__}: {e})"


def stats_renderable(st: Stats, title: str) -> Table:
    outer = Table.grid(padding=(0, 4))
    outer.add_column()
    outer.add_column()
    head = Text(f"{title}\n", "bold")
    head.append(f"{st.messages:,} messages in {st.frames:,} frames")
    if st.malformed:
        head.append(f", {st.malformed:,} malformed", "#ff8700")
    outer.add_row(head, "")

    fam = Table(title="By family", title_justify="left", show_edge=False, expand=False)
    fam.add_column("Family")
    fam.add_column("Messages", justify="right")
    fam.add_column("%", justify="right")
    for name, c in st.by_family.most_common():
        fam.add_row(Text(name, f"bold {family_color(name)}"), f"{c:,}",
                    f"{100 * c / max(st.messages, 1):.1f}")

    status = Table(title="Transactions", title_justify="left", show_edge=False)
    status.add_column("Status")
    status.add_column("Count", justify="right")
    for name, c in st.status.most_common():
        style = "#ff5f5f" if name == "error" else "#ffaf00" if name == "unanswered" else ""
        status.add_row(Text(name, style), f"{c:,}")
    outer.add_row(fam, status)

    types = Table(title="By type (top 25)", title_justify="left", show_edge=False)
    types.add_column("Family")
    types.add_column("Type")
    types.add_column("Messages", justify="right")
    for (f, t), c in st.by_type.most_common(25):
        types.add_row(f, t, f"{c:,}")

    right = Table.grid()
    errs = Table(title="Errors by errno", title_justify="left", show_edge=False)
    errs.add_column("errno")
    errs.add_column("Count", justify="right")
    for name, c in st.errors.most_common():
        errs.add_row(Text(name, "#ff5f5f"), f"{c:,}")
    if not st.errors:
        errs.add_row(Text("none", "dim"), "")
    lat = Table(title="Latency (request → last answer)", title_justify="left", show_edge=False)
    lat.add_column("")
    lat.add_column("", justify="right")
    pct = st.percentiles()
    for k, v in pct.items():
        lat.add_row(k, fmt_latency(v))
    if pct:
        lat.add_row("n", f"{len(st.latencies_ns):,}")
    else:
        lat.add_row(Text("no answered requests", "dim"), "")
    right.add_row(errs)
    right.add_row("")
    right.add_row(lat)
    outer.add_row(types, right)
    if st.library_text:
        outer.add_row(Text("\nnlscope stats report", "bold underline #87d7ff"), "")
        outer.add_row(Text(st.library_text, no_wrap=True), "")
    return outer


class StatsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    StatsScreen {
        align: center middle;
        background: $background 60%;
    }
    StatsScreen > VerticalScroll {
        width: 95%;
        height: 90%;
        border: thick $primary 70%;
        background: $surface;
        padding: 1 2;
    }
    """
    BINDINGS = [Binding("escape,q,S", "dismiss", "Close statistics")]

    def __init__(self, stats: Stats, title: str):
        super().__init__()
        self.stats = stats
        self.title_text = title

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(stats_renderable(self.stats, self.title_text), id="stats-body")

    def action_dismiss(self) -> None:
        self.dismiss(None)

