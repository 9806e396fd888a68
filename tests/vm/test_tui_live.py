"""The TUI on a live nlmon capture, in a real kernel: one VM boot.

Inside the VM (root, so no sudo), a Python driver builds the app the way
`nlscope tui -i nlmon0` does (cmd_tui.build_app: a StreamSource over the child
`nlscope capture -i nlmon0 -w -`), runs it headless with Textual's pilot, waits until
the capture child says it captures, and only then runs `ip link add dummy7 type
dummy; ip link set dummy7 up; ip link show dummy7`. It polls the widgets until the
rows are there and writes what they show (the message list's rows and painted lines,
the footer, the transaction pane, a live display filter) to $OUT/tui_live.json; the
tests below check that file on the host.

A Python start costs ~25 s in the VM (TCG, the root filesystem over 9p): the driver's
own, then the capture child's. The whole run takes one to three minutes.
"""
from __future__ import annotations

import json
import re
import time

import pytest

from .lab import lab_missing, run_in_vm, vm_unavailable_reason

pytestmark = pytest.mark.vm

DRIVER = r'''
import argparse, asyncio, json, os, subprocess, sys, time, traceback

OUT = os.environ["OUT"]
T0 = time.monotonic()
res = {"steps": {}}


def step(name):
    res["steps"][name] = round(time.monotonic() - T0, 1)
    print(f"[{res['steps'][name]:6.1f}s] {name}", flush=True)


async def until(cond, timeout, tick=None):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if tick is not None:
            tick()
        if cond():
            return True
        await asyncio.sleep(0.1)
    return False


def plain(widget):
    r = widget.render()
    return getattr(r, "plain", str(r))


def rows_of(app):
    """The message list's rows, as it renders them (rows.cells_for_message)."""
    from nlscope.tui.rows import cells_for_message
    lst = app.message_list
    out = []
    for r in range(lst.row_count):
        i = lst.view.message_at(r)
        prev = lst.view.message_at(r - 1) if r else None
        c = cells_for_message(app.index, app.txns, i, prev)
        out.append({"row": r, "index": i, "ts_ns": app.index.ts(i), "type": c["type"],
                    "flags": c["flags"], "seq": c["seq"], "info": c["info"]})
    return out


def painted(lst):
    return [lst.render_line(y).text.rstrip() for y in range(lst.size.height)]


async def main():
    from nlscope.cli.tui import build_app
    step("imported")
    args = argparse.Namespace(interface="nlmon0", file=None, filter="", follow=False,
                              dissector=None)
    app = build_app(args)
    src = app.source
    res["source"] = type(src).__name__
    res["argv"] = list(src.proc.args)
    async with app.run_test(size=(200, 60)) as pilot:
        lst = app.message_list
        status = app._panes["status"]
        step("app running")
        await pilot.pause()
        starting = bool(getattr(src, "starting", False))
        app.update_status()
        # the capture may be up already (a warm VM starts it in a second or two): the
        # footer says what the source's state is at that moment
        res["footer_starting"] = (starting, plain(status))
        res["capturing"] = await until(src.capturing.is_set, 240)
        step("capturing")
        app.tick()
        res["count_before"] = app.index.count
        res["rows_before"] = rows_of(app)
        res["t_before_ns"] = time.time_ns()
        cmds = ["ip link add dummy7 type dummy", "ip link set dummy7 up", "ip link show dummy7"]
        res["ip"] = [subprocess.run(c.split(), capture_output=True, text=True).returncode
                     for c in cmds]
        step("ip commands run")

        def seen():
            return any(r["type"] == "RTM_NEWLINK" and "dummy7" in r["info"] and "UP" in r["info"]
                       for r in rows_of(app)) and app.txns.done == app.index.count
        res["seen"] = await until(seen, 60, app.tick)
        await asyncio.sleep(1.0)  # anything still on its way
        app.tick()
        await pilot.pause()
        step("rows seen")
        res["rows"] = rows_of(app)
        res["painted"] = painted(lst)
        res["follow"] = lst.follow
        res["cursor"] = lst.cursor
        res["row_count"] = lst.row_count
        res["count"] = app.index.count
        res["frames"] = app.index.frames
        res["drops"] = src.drops
        res["error"] = src.error
        app.update_status()
        res["footer"] = plain(status)

        # the request that created dummy7: its transaction in the pane
        req = next((r for r in res["rows"] if r["type"] == "RTM_NEWLINK" and "REQUEST" in r["flags"]
                    and "dummy7" in r["info"]), None)
        if req is not None:
            app.goto_message(req["index"])
            await pilot.pause()
            pane = app._panes["txn"]  # its head (status, errno, extack) and its rows
            res["txn_pane"] = plain(pane.query_one("#txn-head")) + "\n" + plain(pane.query_one("#txn-rows"))
            res["detail_number"] = app._panes["tree"].message_number

        # display filters while live: a header-only one, and one on an attribute
        for key, text in (("filter_header", "type == RTM_NEWLINK && flags.request"),
                          ("filter_attr", "attr.IFLA_IFNAME == dummy7")):
            app.apply_filter(text)
            await until(lambda: app.view.filter_done >= app.index.count, 60)
            await asyncio.sleep(0.3)
            app.tick()
            await pilot.pause()
            res[key] = {"text": text, "rows": rows_of(app), "footer": plain(status),
                        "fast": getattr(app.view, "fast_filter", None)}
        app.apply_filter("")
        step("filters done")
    step("app closed")
    res["capture_rc"] = src.proc.returncode
    res["capture_stderr"] = list(src.stderr)
    res["drops_after"] = src.drops
    res["nlmon0_left"] = subprocess.run(["ip", "link", "show", "nlmon0"],
                                        capture_output=True).returncode == 0


try:
    asyncio.run(main())
except BaseException:
    res["exception"] = traceback.format_exc()
step("done")
with open(os.path.join(OUT, "tui_live.json"), "w") as f:
    json.dump(res, f, indent=1)
'''

SCRIPT = r"""
exec 2>&1
modprobe nlmon
ip link del nlmon0 2>/dev/null
cd "$REPO"
timeout 270 "$REPO/.venv/bin/python" "$OUT/driver.py"
echo "driver exit $?"
"""


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    reason = vm_unavailable_reason()
    if reason:
        lab_missing(reason)
    outdir = tmp_path_factory.mktemp("vm-tui")
    (outdir / "driver.py").write_text(DRIVER)
    t = time.monotonic()
    r = run_in_vm(SCRIPT, outdir=outdir, timeout=420).check()
    elapsed = time.monotonic() - t
    path = outdir / "tui_live.json"
    assert path.exists(), r.stdout[-4000:]
    res = json.loads(path.read_text())
    res["vm_seconds"] = elapsed
    res["vm_stdout"] = r.stdout
    print(f"VM run: {elapsed:.0f} s\n{r.stdout[-2000:]}")
    assert "exception" not in res, res["exception"]
    return res


def _dummy7(rows):
    return [r for r in rows if "dummy7" in r["info"]]


def test_rows_of_ip_link_traffic_after_the_start(live):
    assert live["source"] == "StreamSource"
    assert live["argv"][1:8] == ["-m", "nlscope", "capture", "-i", "nlmon0", "-w", "-"]
    assert "sudo" not in live["argv"]  # root in the VM: no sudo
    assert live["capturing"] and live["ip"] == [0, 0, 0] and live["seen"]
    n0 = live["count_before"]
    assert not _dummy7(live["rows_before"])
    rows = live["rows"]
    assert live["row_count"] == len(rows) == live["count"] > n0
    mine = _dummy7(rows)
    assert mine and all(r["index"] >= n0 and r["ts_ns"] >= live["t_before_ns"] for r in mine)
    types = [r["type"] for r in mine]
    # ip link add: the NEWLINK request; ip link show: GETLINK and its NEWLINK reply (UP)
    assert any(r["type"] == "RTM_NEWLINK" and "REQUEST" in r["flags"] and "type dummy" in r["info"]
               for r in mine)
    assert "RTM_GETLINK" in types
    assert any(r["type"] == "RTM_NEWLINK" and "REQUEST" not in r["flags"]
               and re.match(r"RTM_NEWLINK \d+: dummy7 <[A-Z_,]*\bUP\b", r["info"]) for r in mine)
    # every request has its ACK in the list (the index pairs them)
    assert sum(r["type"] == "NLMSG_ERROR" and r["info"].startswith("ACK") for r in rows) >= 2


def test_the_list_paints_them_and_follows(live):
    assert live["follow"] and live["cursor"] == live["row_count"] - 1
    lines = live["painted"]
    assert lines[0].split()[:2] == ["No.", "Time"]
    shown = [ln for ln in lines if "RTM_NEWLINK" in ln and "dummy7" in ln]
    assert shown, "\n".join(lines)


def test_footer_totals_and_drops(live):
    starting, footer = live["footer_starting"]
    assert ("starting the capture" in footer) == starting, (starting, footer)
    foot = live["footer"]
    m = re.search(r"nlmon0\s+([\d,]+) msgs / ([\d,]+) frames", foot)
    assert m, foot
    assert int(m.group(1).replace(",", "")) == live["count"]
    assert int(m.group(2).replace(",", "")) == live["frames"]
    assert "drops 0" in foot and "FOLLOW" in foot and "starting" not in foot
    assert live["drops"] == 0 and live["error"] is None


def test_transaction_pane_shows_the_ack(live):
    pane = live["txn_pane"]
    assert pane.startswith("Transaction") and " ok " in pane, pane
    assert "ACK to RTM_NEWLINK" in pane


def test_live_display_filters(live):
    hdr = live["filter_header"]
    assert hdr["rows"] and all(r["type"] == "RTM_NEWLINK" and "REQUEST" in r["flags"]
                               for r in hdr["rows"])
    want = [r["index"] for r in live["rows"] if r["type"] == "RTM_NEWLINK" and "REQUEST" in r["flags"]]
    assert [r["index"] for r in hdr["rows"]] == want
    assert f"shown {len(want)}" in hdr["footer"]
    attr = live["filter_attr"]
    assert len(attr["rows"]) >= 3 and all("dummy7" in r["info"] for r in attr["rows"])
    assert {"RTM_NEWLINK", "RTM_GETLINK"} <= {r["type"] for r in attr["rows"]}
    assert hdr["fast"] is True and attr["fast"] is False  # header-only: no decode


def test_capture_child_ends_cleanly(live):
    assert live["capture_rc"] == 0
    last = live["capture_stderr"][-1]
    m = re.search(r"(\d+) frames captured on nlmon0; the kernel dropped (\d+)", last)
    assert m, live["capture_stderr"]
    assert int(m.group(1)) >= live["frames"] and m.group(2) == "0"
    assert live["drops_after"] == 0
    assert not live["nlmon0_left"]  # the capture made nlmon0 and removed it
