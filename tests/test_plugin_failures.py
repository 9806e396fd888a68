"""Broken plugins (--dissector FILE, entry points): one line naming the file and what
is wrong, exit 2, at load time; at decode time a plugin's failure is a note on the
message it hit and the run goes on (issue 12, item 8). Real processes, real files."""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT
from fixtures.make_fixtures import cooked, nla, nlmsg, pcap

NLSCOPE = [sys.executable, "-m", "nlscope"]
PROTO = 25  # NETLINK_... unused: the plugin's own family


def run(*args, env=None):
    return subprocess.run([*NLSCOPE, *map(str, args)], capture_output=True, text=True, cwd=ROOT, env=env)


def capture(tmp_path):
    cap = tmp_path / "p.pcap"
    cap.write_bytes(pcap([cooked(PROTO) + nlmsg(16, 0x5, 9, 0, nla(1, b"x\0")),
                          cooked(PROTO) + nlmsg(16, 0x2, 9, 4242, nla(1, b"y\0"))]))
    return cap


GOOD = """
from nlscope.decode.nla import Attr, AttrSet
from nlscope.decode.registry import MessageType, Protocol

class P(Protocol):
    {method}

def register(registry):
    {register}
    registry.add(P(25, "plug", {{16: MessageType("PLUG_SET", "new", attrs=AttrSet("a", {{1: Attr("PLUG_A_NAME", "string")}}))}}))
"""


def plugin(tmp_path, method="pass", register="pass", text=None):
    p = tmp_path / "plug.py"
    p.write_text(text if text is not None else textwrap.dedent(GOOD).format(method=method, register=register))
    return p


@pytest.mark.parametrize("text,needle", [
    ("def register(r):\n  raise RuntimeError('boom')\n", "register() failed: RuntimeError: boom"),
    ("import sys\ndef register(r):\n  sys.exit(3)\n", "register() failed: called sys.exit(3)"),
    ("import sys\nsys.exit('bye')\n", "cannot load: called sys.exit('bye')"),
    ("def register(r)\n  pass\n", "cannot load: SyntaxError"),
    ("x = 1\n", "has no register(registry) function"),
    ("\x00\x01\x02garbage", "cannot load:"),
])
def test_a_broken_plugin_file_is_one_line_and_exit_2(tmp_path, text, needle):
    p = plugin(tmp_path, text=text)
    r = run("read", capture(tmp_path), "--dissector", p)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert str(p) in lines[0] and needle in lines[0], lines[0]
    assert r.stdout == ""


def test_a_broken_entry_point_is_a_warning_and_left_out(tmp_path):
    site = tmp_path / "site"
    dist = site / "bad_plugin-1.0.dist-info"
    dist.mkdir(parents=True)
    (site / "bad_plugin.py").write_text(textwrap.dedent(GOOD).format(
        method="pass", register="raise KeyError('half registered')").replace(
        "    raise KeyError('half registered')\n    registry.add", "    registry.add") + "    raise KeyError('half')\n")
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: bad-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[nlscope.dissectors]\nbad = bad_plugin:register\n")
    r = run("read", capture(tmp_path), env=dict(os.environ, PYTHONPATH=str(site)))
    assert r.returncode == 0, r.stderr
    assert "dissector plugin 'bad' (bad_plugin:register): register() failed: KeyError: 'half'" in r.stderr
    assert "Traceback" not in r.stderr
    # what it registered before failing is taken back: its family is not decoded
    assert "PLUG_SET" not in r.stdout and "UNKNOWN(16)" in r.stdout


@pytest.mark.parametrize("method,note", [
    ("def message_type(self, ctx):\n        raise ValueError('mt')", "plug message_type(): ValueError: mt"),
    ("def message_type(self, ctx):\n        import sys; sys.exit(3)", "plug message_type(): called sys.exit(3)"),
    ("def learns_anything(self):\n        return True\n    def learned(self, msg, state):\n"
     "        raise ZeroDivisionError('learn')", "plug learning: ZeroDivisionError: learn"),
    ("def notifies_with_request(self, msg):\n        raise TypeError('nwr')",
     "plug notifies_with_request(): TypeError: nwr"),
])
def test_a_plugin_failing_at_decode_time_is_a_note_on_the_message(tmp_path, method, note):
    p = plugin(tmp_path, method=method)
    for cmd in (["read", "-V"], ["read", "--transactions"], ["stats"]):
        r = run(*cmd, capture(tmp_path), "--dissector", p)
        assert r.returncode == 0 and "Traceback" not in r.stderr, (cmd, r.stderr)
    r = run("export", capture(tmp_path), "--dissector", p)
    msgs = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(msgs) == 2
    assert any(note in pr for m in msgs for pr in m["problems"]), [m["problems"] for m in msgs]
    if "message_type" not in method:
        assert msgs[0]["payload"]["attributes"] == {"PLUG_A_NAME": "x"}


def test_a_plugin_failing_on_a_capture_comment_is_noted_on_the_next_message(tmp_path):
    from nlscope.capture.frame import Frame
    from nlscope.decode.decoder import Decoder
    from nlscope.decode.registry import Registry
    reg = Registry()
    reg.load_file(str(plugin(tmp_path, method="def capture_comment(self, text, state):\n        raise OSError('cc')")))
    dec = Decoder(reg)
    dec.note_comment("nlscope-genl-families: x")
    raw = cooked(PROTO) + nlmsg(16, 0x5, 9, 0, nla(1, b"x\0"))
    m = next(dec.messages([Frame(1, 0, PROTO, raw, 16, len(raw))]))
    assert m.problems == ["dissector error: plug capture_comment(): OSError: cc"]
    assert m.summary == "PLUG_SET"


# -- YNL specs (--spec) -------------------------------------------------------------------
BOMB = "name: bomb\na: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi")) + \
    "definitions: [{name: e, type: enum, entries: *i}]\n"


@pytest.mark.parametrize("data,needle", [
    (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)), "not UTF-8 text"),
    (b"name: x\n\x00\x00", "binary data"),
    (b"name: x\nattribute-sets: [{name: s, attributes: [id, {name: n, type: u32}]}]\n",
     "spec.attribute-sets[0] (s).attributes[0]: must be a mapping, not a string"),
    (b"name: x\ndefinitions: [{name: e, type: enum, value-start: abc, entries: [a]}]\n",
     "spec.definitions[0] (e).value-start: must be an integer, not a string 'abc'"),
    (b"name: x\noperations: {list: 5}\n", "spec.operations.list: must be a list, not an integer"),
    (b"name: x\ndefinitions: [{name: f, type: flags, entries: [{name: big, value: 10000000000}]}]\n",
     "definition f: flag bit 10000000000 is not 0..63"),
    (b"name: x\ndefinitions: [{name: e, type: enum, entries: [{name: a, value: 1e400}]}]\n",
     "value: must be an integer"),
    (b"name: x\nlist: " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested"),
    (BOMB.encode(), "more than 200000 values once aliases are expanded"),
    (b"name: x\nattribute-sets: [{name: s, attributes: [{name: n, type: u32, value: 99999999999999999999999}]}]\n",
     "does not fit 64 bits"),
])
def test_a_bad_spec_is_one_line_naming_the_file(tmp_path, data, needle):
    from nlscope.decode.registry import default_registry
    from nlscope.decode.ynl import YnlError, load_spec
    p = tmp_path / "bad.yaml"
    p.write_bytes(data)
    with pytest.raises(YnlError) as e:
        load_spec(default_registry(entry_points=False), p)
    line = str(e.value)
    assert "\n" not in line and line.startswith(f"{p}: ") and needle in line, line


def test_a_bad_spec_through_the_cli(tmp_path):
    p = tmp_path / "bomb.yaml"
    p.write_text(BOMB)
    r = run("read", capture(tmp_path), "--spec", p)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip() == f"nlscope: error: {p}: not a YNL spec (more than 200000 values once aliases are expanded)"
