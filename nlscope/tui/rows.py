"""Columns, colours and the text of one list row (no Textual: plain rich Text)."""
from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

from ..decode.decoder import errno_name
from ..decode.model import Message
from ..decode.index import CaptureIndex
from ..escape import escape
from ..analysis.names import IfNames
from ..analysis.colors import IndexTxn
from ..analysis.fieldexpr import column_text
from ..analysis.timefmt import WIDTH as TIME_WIDTH, format_time
from ..analysis.txindex import ERROR, HOW, NOTIFY, STATUS_NAMES, WAITING, TxnIndex

FAMILY_COLORS = {
    "route": "#5fafff",
    "generic": "#87d75f",
    "netfilter": "#d787d7",
    "sock_diag": "#5fd7d7",
    "xfrm": "#d7af5f",
    "usersock": "#af87ff",
    "nflog": "#ff87af",
    "audit": "#d7d787",
}
OTHER_FAMILY = "#bcbcbc"
ERROR_STYLE = Style(color="#ffd7d7", bgcolor="#5f0000")
UNANSWERED_STYLE = Style(color="#ffd787", bgcolor="#4e3800")
MALFORMED_STYLE = Style(color="#ff8700", italic=True)
NOTIFY_STYLE = Style(dim=True)
CURSOR_STYLE = Style(bgcolor="#005f87", color="#ffffff", bold=True)
MARK_STYLE = Style(bgcolor="#3a3a3a", color="#ffffff")
HEADER_STYLE = Style(bold=True, color="#ffffff", bgcolor="#303030")


def family_color(name: str) -> str:
    return FAMILY_COLORS.get(name, OTHER_FAMILY)


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    width: int  # 0: Info, which takes the rest
    right: bool = False
    drop: int = 0  # narrow terminals drop columns by this rank, lowest first; 0: never
    min_width: int = 0  # a column that may narrow (with an ellipsis) before others drop


# Dropped first: what the tree and the transaction pane also show (Δ, length, process,
# flags, seq), then family (the type's colour keeps it), then time. Info is never dropped.
MESSAGE_COLUMNS = (
    Column("mark", " ", 1),
    Column("no", "No.", 7, True),
    Column("time", "Time", 12, True, 7),
    Column("delta", "Δ", 10, True, 1),
    Column("proc", "Process/port", 12, False, 3),
    Column("family", "Family", 9, False, 6),
    Column("type", "Type", 22, min_width=16),
    Column("flags", "Flags", 24, False, 4),
    Column("seq", "Seq", 10, True, 5),
    Column("len", "Len", 5, True, 2),
    Column("info", "Info", 0),
)
TXN_COLUMNS = (
    Column("mark", " ", 1),
    Column("no", "No.", 7, True),
    Column("time", "Time", 12, True, 5),
    Column("delta", "Latency", 10, True, 6),
    Column("proc", "Process/port", 12, False, 1),
    Column("family", "Family", 9, False, 2),
    Column("type", "Request", 22, min_width=16),
    Column("flags", "Status", 17),
    Column("seq", "Seq", 10, True, 3),
    Column("len", "Msgs", 5, True, 4),
    Column("info", "Info", 0),
)


def info_min(width: int) -> int:
    """The width Info keeps before a column is dropped: 20 at 80 columns, 40 from 120."""
    return max(20, min(40, (width - 40) // 2))


def visible_columns(columns: tuple[Column, ...], width: int) -> list[Column]:
    """The columns that fit in `width`, narrowed columns given back what Info can spare."""
    keep = list(columns)
    want = info_min(width)

    def fixed(cols):
        return sum((c.min_width or c.width) + 1 for c in cols if c.width)
    for c in sorted((c for c in columns if c.drop), key=lambda c: c.drop):
        if fixed(keep) + want <= width:
            break
        keep.remove(c)
    spare = max(0, width - fixed(keep) - want)
    out = []
    for c in keep:
        if c.min_width:
            grow = min(spare, c.width - c.min_width)
            spare -= grow
            c = Column(c.key, c.title, c.min_width + grow, c.right, c.drop)
        out.append(c)
    return out


def fit(text: str, width: int) -> str:
    """text cut to width, an ellipsis showing that it was cut."""
    if len(text) <= width:
        return text
    return text[:width - 1] + "…" if width > 0 else ""


def fmt_time(ns: int) -> str:
    s, rest = divmod(ns, 1_000_000_000)
    return f"{s}.{rest // 1000:06d}"


def fmt_latency(ns: int | None) -> str:
    if ns is None:
        return ""
    if ns < 1_000_000:
        return f"{ns / 1000:.1f}µs"
    if ns < 1_000_000_000:
        return f"{ns / 1e6:.2f}ms"
    return f"{ns / 1e9:.3f}s"


def process_text(msg: Message) -> str:
    fr = msg.frame
    if fr.pid is not None:
        return f"{fr.comm or '?'}[{fr.pid}]"
    return "" if msg.pid is None else str(msg.pid)


def columns_for(base: tuple[Column, ...], time_mode: str = "r",
                extra: list[str] = ()) -> tuple[Column, ...]:
    """The list's columns: the time column as wide as its format needs, extra field
    columns (issue 13 part 5) before Info, dropped after Time on narrow terminals."""
    out = []
    for c in base:
        if c.key == "info":
            out += [Column("x:" + name, name.rsplit(".", 1)[-1], 14, False, 8) for name in extra]
        if c.key == "time" and time_mode != "r":
            c = Column(c.key, c.title, TIME_WIDTH[time_mode], c.right, c.drop)
        out.append(c)
    return tuple(out)


def time_cell(ix: CaptureIndex, i: int, mode: str = "r", ref: int | None = None) -> str:
    """Message i's time as `mode` shows it (tshark -t): r from the time reference
    (Wireshark's *REF*; else the first message), d from the message captured before."""
    ts = ix.ts(i)
    if mode == "r":
        if ref == i:
            return "*REF*"
        base = ix.ts(ref) if ref is not None else (ix.fr_ts[0] if ix.frames else 0)
        return format_time(ts, "r", base)
    return format_time(ts, mode, prev_ns=ix.ts(i - 1) if i > 0 else None)


def cells_for_message(ix: CaptureIndex, txns: TxnIndex, i: int, prev: int | None,
                      names: IfNames | None = None, view=None) -> dict[str, str]:
    """view (tui.view.MessageView): its time format, reference and extra columns."""
    m = ix.message(i)
    ts = ix.ts(i)
    info = names.annotate(m.summary, i) if names is not None else m.summary
    if m.problems and "malformed" not in info:
        info += f"  [malformed: {m.problems[0]}]"
    mode = view.time_mode if view is not None else "r"
    ref = view.time_ref if view is not None else None
    extra = {}
    if view is not None:
        extra = {"x:" + name: column_text(m, name, view.registry) for name in view.columns}
    return extra | {
        "no": str(i + 1),
        "time": time_cell(ix, i, mode, ref),
        "delta": fmt_time(ts - ix.ts(prev)) if prev is not None else fmt_time(0),
        "proc": process_text(m),
        "family": m.family,
        "type": m.type_name or "FRAGMENT",
        "flags": ",".join(m.flag_names) or ("" if m.is_fragment else "0"),
        "seq": "" if m.seq is None else str(m.seq),
        "len": str(m.nlmsg_len if m.nlmsg_len is not None else m.end - m.start),
        "info": info,
    }


def status_text(txns: TxnIndex, t: int) -> str:
    st = txns.status(t)
    err = txns.t_err[t]
    if st == ERROR and err:
        return f"error {errno_name(err) or err}"
    return f"ok ({HOW[st]})" if st in HOW else STATUS_NAMES[st]


def cells_for_txn(ix: CaptureIndex, txns: TxnIndex, t: int) -> dict[str, str]:
    info = txns.info(t)
    first = info.members[0]
    m = ix.message(first)
    t0 = ix.fr_ts[0] if ix.frames else 0
    text = m.summary
    if info.end is not None:
        text += "  →  " + ix.message(info.end).summary
    elif info.replies:
        text += f"  →  {info.replies} replies"
    return {
        "no": str(first + 1),
        "time": fmt_time(ix.ts(first) - t0),
        "delta": fmt_latency(info.latency_ns),
        "proc": process_text(m),
        "family": m.family,
        "type": m.type_name or "FRAGMENT",
        "flags": status_text(txns, t),
        "seq": "" if m.seq is None else str(m.seq),
        "len": str(len(info.members)),
        "info": text,
    }


def row_style(ix: CaptureIndex, txns: TxnIndex, i: int, by_txn: bool, rules=None) -> Style | None:
    """The row's style from the colouring rules (analysis.colors), the transaction
    read from the index; without rules, row_status_style."""
    if rules is None:
        return row_status_style(ix, txns, i, by_txn)
    t = txns.of(i)
    return rules.style_for(ix.message(i), IndexTxn(txns, t) if t >= 0 else None)


def row_status_style(ix: CaptureIndex, txns: TxnIndex, i: int, by_txn: bool) -> Style | None:
    """Errors red, unanswered requests amber, malformed orange, notifications dim."""
    t = txns.of(i)
    st = txns.status(t) if t >= 0 else None
    if by_txn:
        if st == ERROR:
            return ERROR_STYLE
        if st in WAITING:
            return UNANSWERED_STYLE
        return NOTIFY_STYLE if st == NOTIFY else None
    mtype = ix.m_type[i]
    if (mtype == 2 and ix.m_err[i] != 0) or (mtype == 3 and ix.m_err[i] < 0):
        return ERROR_STYLE
    if st == ERROR and txns.is_request(i):
        return ERROR_STYLE
    if st in WAITING and txns.is_request(i):
        return UNANSWERED_STYLE
    if mtype < 0:
        return MALFORMED_STYLE
    return None


def render_row(cols: list[Column], cells: dict[str, str], width: int, base: Style | None,
               marked: bool) -> Text:
    text = Text(no_wrap=True, overflow="crop", end="")
    fixed = sum(c.width + 1 for c in cols if c.width)
    keys = {c.key for c in cols}
    family_style = Style(color=family_color(cells.get("family", "")), bold=True)
    for c in cols:
        if c.key == "mark":
            text.append("●" if marked else " ", Style(color="#ffd700", bold=True))
            text.append(" ")
            continue
        w = c.width or max(0, width - fixed)
        val = escape(cells.get(c.key, ""))  # capture text: no control character on screen
        if c.key == "info" and "type" in keys:
            val = _without_type(val, escape(cells.get("type", "")))
        val = fit(val, w)
        val = val.rjust(w) if c.right else val.ljust(w)
        style = None
        # the family's colour, on the type when the family column is dropped
        if base is None and (c.key == "family" or (c.key == "type" and "family" not in keys)):
            style = family_style
        text.append(val, style)
        if c.width:
            text.append(" ")
    if base is not None:
        text.stylize(base)
    if marked:
        text.stylize(MARK_STYLE, 2)
    return text


def _without_type(info: str, type_name: str) -> str:
    """Info without the type name it starts with: the Type column shows it."""
    if type_name and info.startswith(type_name) and info[len(type_name):len(type_name) + 1] in ("", " "):
        return info[len(type_name):].lstrip(" ")
    return info


def render_header(cols: list[Column], width: int) -> Text:
    cells = {c.key: c.title for c in cols}
    t = render_row(cols, cells, width, None, False)
    t.stylize(HEADER_STYLE)
    return t


def legend() -> Text:
    t = Text(no_wrap=True, overflow="crop")
    for name, color in FAMILY_COLORS.items():
        t.append("■ ", Style(color=color))
        t.append(name + "  ")
    t.append(" error ", ERROR_STYLE)
    t.append(" ")
    t.append(" unanswered ", UNANSWERED_STYLE)
    t.append(" ")
    t.append(" malformed ", MALFORMED_STYLE)
    t.append(" ")
    t.append("● marked", Style(color="#ffd700"))
    return t
