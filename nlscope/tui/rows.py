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
    width: int  # 0: takes the rest
    right: bool = False
    min_width: int = 0  # the terminal width below which the column is hidden


MESSAGE_COLUMNS = (
    Column("mark", " ", 1),
    Column("no", "No.", 7, True),
    Column("time", "Time", 12, True),
    Column("delta", "Δ", 10, True, 130),
    Column("proc", "Process/portid", 12, False, 110),
    Column("family", "Family", 9),
    Column("type", "Type", 22),
    Column("flags", "Flags", 24, False, 120),
    Column("seq", "Seq", 10, True),
    Column("len", "Len", 5, True, 90),
    Column("info", "Info", 0),
)
TXN_COLUMNS = (
    Column("mark", " ", 1),
    Column("no", "No.", 7, True),
    Column("time", "Time", 12, True),
    Column("delta", "Latency", 10, True, 100),
    Column("proc", "Process/portid", 12, False, 110),
    Column("family", "Family", 9),
    Column("type", "Request", 22),
    Column("flags", "Status", 20, False),
    Column("seq", "Seq", 10, True),
    Column("len", "Msgs", 5, True, 90),
    Column("info", "Info", 0),
)


def visible_columns(columns: tuple[Column, ...], width: int) -> list[Column]:
    return [c for c in columns if width >= c.min_width]


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


def cells_for_message(ix: CaptureIndex, txns: TxnIndex, i: int, prev: int | None,
                      names: IfNames | None = None) -> dict[str, str]:
    m = ix.message(i)
    t0 = ix.fr_ts[0] if ix.frames else 0
    ts = ix.ts(i)
    info = names.annotate(m.summary, i) if names is not None else m.summary
    if m.problems and "malformed" not in info:
        info += f"  [malformed: {m.problems[0]}]"
    return {
        "no": str(i + 1),
        "time": fmt_time(ts - t0),
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
    for c in cols:
        if c.key == "mark":
            text.append("●" if marked else " ", Style(color="#ffd700", bold=True))
            text.append(" ")
            continue
        w = c.width or max(0, width - fixed)
        val = escape(cells.get(c.key, ""))  # capture text: no control character on screen
        if c.width:
            val = val[:w].rjust(w) if c.right else val[:w].ljust(w)
        else:
            val = val[:w].ljust(w)
        style = None
        if c.key == "family" and base is None:
            style = Style(color=family_color(cells.get("family", "")), bold=True)
        text.append(val, style)
        if c.width:
            text.append(" ")
    if base is not None:
        text.stylize(base)
    if marked:
        text.stylize(MARK_STYLE, 2)
    return text


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
