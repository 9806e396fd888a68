"""The `fields` sink (tshark's -T fields -e ... -E ...): one line per message with the
filter fields' values; names for enums, numbers for numbers, hex flags, escaped text;
options header, separator, occurrence, aggregator, quote; an unknown field is a usage
error with a suggestion. Cross-checked with tshark where both have the field."""
from __future__ import annotations

import io
import struct
import subprocess
from collections import defaultdict

import pytest
from conftest import SAMPLES, committed
from tshark import TSHARK

from nlscope.analysis.transactions import correlate
from nlscope.capture.frame import Frame
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.decoder import Decoder
from nlscope.decode.registry import default_registry
from nlscope.output.fields import FieldsSink, apply_option, escape, render
from nlscope.output.sinks import SinkError, SinkOptions, get_sink


@pytest.fixture(scope="module")
def reg():
    return default_registry()


def _sample(name):
    path = SAMPLES / name
    return committed(path)


def run(reg, messages, *fields, txn=False, **opts):
    out = io.StringIO()
    sink = FieldsSink(out, SinkOptions(fields=list(fields), extra={"registry": reg}, **opts))
    pairs = correlate(messages) if txn else ((m, None) for m in messages)
    for m, t in pairs:
        sink.write(m, t)
    sink.close()
    return out.getvalue().splitlines()


def decode(reg, name):
    return list(Decoder(reg).messages(CaptureReader(_sample(name))))


# -- values ------------------------------------------------------------------------------

def test_one_line_per_message_with_names_numbers_and_flags(reg):
    msgs = decode(reg, "iproute2.pcapng")
    lines = run(reg, msgs, "number", "frame", "family", "type", "flags", "flags.request", "seq", "len",
                "errno", "attr.IFLA_IFNAME", header=True)
    assert lines[0] == "number\tframe\tfamily\ttype\tflags\tflags.request\tseq\tlen\terrno\tattr.IFLA_IFNAME"
    assert len(lines) == len(msgs) + 1
    rows = [ln.split("\t") for ln in lines[1:]]
    assert all(len(r) == 10 for r in rows)
    for m, r in zip(msgs, rows):
        assert r[0] == str(m.number) and r[1] == str(m.frame.number) and r[2] == "route"
        assert r[3] == m.type_name and r[4] == f"0x{m.flags:04x}" and r[5] == ("1" if m.flags & 1 else "0")
        assert r[6] == str(m.seq) and r[7] == str(m.nlmsg_len)
    assert rows[0][:6] == ["1", "1", "route", "RTM_GETLINK", "0x0301", "1"]
    assert rows[1][9] == "lo" and rows[2][9] == "nlmon0"
    err = next(r for m, r in zip(msgs, rows) if m.type == 2 and m.error_code)
    assert err[3] == "NLMSG_ERROR" and err[8] == "ENODEV"
    ack = next(r for m, r in zip(msgs, rows) if m.type == 2 and m.error_code == 0)
    assert ack[8] == "OK"  # errno of an ACK, as the Info column says it


def test_header_fields_never_decode_the_payload(reg):
    msgs = decode(reg, "iproute2.pcapng")
    out = io.StringIO()
    sink = FieldsSink(out, SinkOptions(fields=["number", "seq", "flags.ack", "errno", "portid"]))
    assert not sink.needs_decode and not sink.needs_txn
    for m in msgs:
        sink.write(m, None)
    assert not any(m.decoded for m in msgs)
    assert FieldsSink(io.StringIO(), SinkOptions(fields=["summary"])).needs_decode


def test_transaction_fields_and_times(reg):
    msgs = decode(reg, "iproute2.pcapng")
    out = io.StringIO()
    sink = FieldsSink(out, SinkOptions(fields=["number", "role", "txn.status", "latency"]))
    assert sink.needs_txn  # the pipeline pairs before writing
    lines = run(reg, msgs, "number", "role", "txn.status", "latency", txn=True)
    first = lines[0].split("\t")
    assert first[:3] == ["1", "request", "ok"]
    sec, frac = first[3].split(".")
    assert len(frac) == 9 and 0 < float(first[3]) < 1  # seconds with 9 decimals, as tshark's times
    assert run(reg, msgs[:1], "role", "latency") == ["other\t"]  # without a transaction: as the filter sees it


def test_genl_names_and_repeated_attributes(reg):
    msgs = decode(reg, "genl.pcapng")
    lines = run(reg, msgs, "family", "genl.cmd", "type", "attr.NL80211_ATTR_IFNAME")
    rows = [ln.split("\t") for ln in lines]
    nl = [r for m, r in zip(msgs, rows) if r[0] == "generic,nl80211"]  # two occurrences: protocol, genl family
    assert nl and all(r[2].startswith("nl80211 ") for r in nl)
    assert any(r[3] for r in nl)
    # an attribute repeated: all occurrences, the first, the last, another aggregator
    name = "attr.CTRL_ATTR_OP_ID"  # nlctrl's family reply: one per operation of the family
    every = run(reg, msgs, name)
    many = next(i for i, v in enumerate(every) if v.count(",") >= 3)
    vals = every[many].split(",")
    assert run(reg, msgs, name, occurrence="f")[many] == vals[0]
    assert run(reg, msgs, name, occurrence="l")[many] == vals[-1]
    assert run(reg, msgs, name, aggregator=";")[many] == ";".join(vals)
    assert "GET_INTERFACE" in vals  # an enum: its name
    freqs = [v for v in run(reg, msgs, "attr.NL80211_FREQUENCY_ATTR_FREQ") if v]
    assert freqs and all(v.endswith(" MHz") for v in freqs)  # a number with a unit: as the tree shows it


def test_nests_show_their_name_and_enums_their_name(reg):
    msgs = decode(reg, "iproute2.pcapng")
    rows = run(reg, msgs, "attr.IFLA_LINKINFO", "attr.IFLA_LINKINFO.IFLA_INFO_KIND", "attr.ifi_family",
               "attr.IFLA_ADDRESS")
    r = next(ln.split("\t") for ln in rows if ln.split("\t")[1] == "dummy")
    assert r[0] == "IFLA_LINKINFO"
    assert r[2] == "AF_UNSPEC"
    mac = next(ln.split("\t")[3] for ln in rows if ln.split("\t")[3])
    assert len(mac.split(":")) == 6


# -- escaping -----------------------------------------------------------------------------

@pytest.mark.parametrize("raw,shown", [
    ("eth0", "eth0"),
    ("a\nb", "a\\nb"), ("a\tb", "a\\tb"), ("a\rb", "a\\rb"), ("back\\slash", "back\\\\slash"),
    ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"), ("nul\x00", "nul\\x00"), ("del\x7f", "del\\x7f"),
    ("c1\x9b2J", "c1\\x9b2J"), ("bidi\u202eevil", "bidi\\u202eevil"), ("line\u2028sep", "line\\u2028sep"),
    ("café ünïcode 名前", "café ünïcode 名前"),
])
def test_escape(raw, shown):
    assert escape(raw) == shown


def test_render_each_kind():
    import ipaddress

    from nlscope.analysis.filter import FIELDS, Flags, Named, _Node
    assert render(True) == "1" and render(False) == "0" and render(42) == "42"
    assert render(1_500_250, FIELDS["latency"]) == "0.001500250" and render(3_000_000_000, FIELDS["latency"]) == "3.000000000"
    assert render(Named(19, "ENODEV")) == "ENODEV" and render(Named(77)) == "77"
    assert render(Flags(0x301, ["REQUEST", "ROOT", "MATCH"])) == "0x0301"
    assert render(b"\x01\xab") == "01ab" and render(ipaddress.ip_address("fe80::1")) == "fe80::1"
    assert render(_Node("IFLA_LINKINFO")) == "IFLA_LINKINFO" and render("a\nb") == "a\\nb"


def _ifname_frame(name: bytes, comm: str | None = None) -> Frame:
    """An RTM_NEWLINK with an ifinfomsg and IFLA_IFNAME = name (host byte order)."""
    nla = struct.pack("=HH", 4 + len(name) + 1, 3) + name + b"\0"
    nla += b"\0" * (-len(nla) % 4)
    body = struct.pack("=BxHiII", 0, 1, 7, 0, 0) + nla
    msg = struct.pack("=IHHII", 16 + len(body), 16, 0, 5, 0) + body
    return Frame(1, 0, 0, bytes(16) + msg, comm=comm, pid=42)


def test_values_from_a_capture_never_reach_the_terminal_raw(reg):
    fr = _ifname_frame(b"\x1b]0;owned\x07\n\tx\\y", comm="ev\x1bil\n")
    msgs = list(Decoder(reg).messages([fr]))
    lines = run(reg, msgs, "attr.IFLA_IFNAME", "comm", "pid", "attr.ifi_index", "summary", header=True)
    assert len(lines) == 2
    name, comm, pid, index, summary = lines[1].split("\t")
    assert name == "\\x1b]0;owned\\x07\\n\\tx\\\\y"
    assert comm == "ev\\x1bil\\n" and pid == "42" and index == "7"
    assert not any(c < " " for c in lines[1].replace("\t", ""))
    assert "\\x1b" in summary


# -- options -------------------------------------------------------------------------------

def test_separator_and_quotes(reg):
    msgs = decode(reg, "iproute2.pcapng")[:3]
    assert run(reg, msgs, "number", "attr.IFLA_IFNAME", separator=",", quote="d") == ['"1",', '"2","lo"', '"3","nlmon0"']
    assert run(reg, msgs, "number", "type", separator=" ", quote="s")[0] == "'1' 'RTM_GETLINK'"
    assert run(reg, msgs, "number", "attr.IFLA_IFNAME", header=True, quote="d")[0] == '"number"\t"attr.IFLA_IFNAME"'
    # a quote inside a quoted value is escaped
    fr = _ifname_frame(b'say "hi"')
    assert run(reg, list(Decoder(reg).messages([fr])), "attr.IFLA_IFNAME", quote="d") == ['"say \\"hi\\""']


def test_header_alone_when_nothing_matches(reg):
    assert run(reg, [], "number", "seq", header=True) == ["number\tseq"]
    assert run(reg, [], "number") == []


def test_apply_option_reads_tsharks_minus_E():
    o = SinkOptions(fields=["seq"])
    for text in ("header=y", "separator=/s", "occurrence=l", "aggregator=;", "quote=d"):
        apply_option(o, text)
    assert (o.header, o.separator, o.occurrence, o.aggregator, o.quote) == (True, " ", "l", ";", "d")
    apply_option(o, "separator=/t")
    apply_option(o, "header=n")
    assert o.separator == "\t" and o.header is False
    for bad in ("header=maybe", "occurrence=2", "quote=x", "separator=ab", "bom=y", "header"):
        with pytest.raises(SinkError):
            apply_option(o, bad)


def test_unknown_field_is_a_usage_error_with_a_suggestion(reg):
    with pytest.raises(SinkError, match=r"-e sq: unknown field 'sq' \(did you mean seq\?\)"):
        FieldsSink(io.StringIO(), SinkOptions(fields=["number", "sq"]))
    with pytest.raises(SinkError, match="did you mean attr.IFLA_IFNAME"):
        FieldsSink(io.StringIO(), SinkOptions(fields=["attr.IFLA_IFNAM"], extra={"registry": reg}))
    with pytest.raises(SinkError, match="at least one -e"):
        FieldsSink(io.StringIO(), SinkOptions())
    with pytest.raises(SinkError, match="occurrence"):
        FieldsSink(io.StringIO(), SinkOptions(fields=["seq"], occurrence="x"))


def test_registered_by_name():
    assert get_sink("fields") is FieldsSink


def test_plugin_fields_with_the_pipelines_registry():
    from conftest import ROOT
    reg = default_registry(files=[str(ROOT / "examples" / "demo_dissector.py")], entry_points=False)
    FieldsSink(io.StringIO(), SinkOptions(fields=["attr.DEMO_A_NAME"], extra={"registry": reg}))
    with pytest.raises(SinkError):
        FieldsSink(io.StringIO(), SinkOptions(fields=["attr.DEMO_A_NAME"]))


# -- against tshark --------------------------------------------------------------------------

def _tshark_fields(path, fields, *extra):
    cmd = [TSHARK, "-r", str(path), "-T", "fields", "-e", "frame.number", *extra]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return {int(c[0]): c[1:] for c in (ln.split("\t") for ln in out.splitlines())}


def _ours_per_frame(reg, msgs, fields, **opts):
    """Our lines grouped as tshark writes them: one line per frame, the messages'
    values joined by ','."""
    per = defaultdict(list)
    for m, line in zip(msgs, run(reg, msgs, *fields, **opts)):
        per[m.frame.number].append(line.split("\t"))
    return {f: [",".join(r[i] for r in rows if r[i]) for i in range(len(fields))] for f, rows in per.items()}


def _comparable(msgs):
    """Frames where tshark's header fields mean what ours do: not an NLMSG_ERROR
    (tshark also lists the embedded request's header), no zero padding after the
    last message (tshark reads it as a message of length 0)."""
    skip = {m.frame.number for m in msgs if m.type == 2 or (m.tree and m.tree[-1].name == "padding")}
    return {m.frame.number for m in msgs} - skip


@pytest.mark.skipif(TSHARK is None, reason="tshark not installed")
@pytest.mark.parametrize("sample", ["iproute2.pcapng", "genl.pcapng", "netfilter.pcapng", "sock_diag.pcapng",
                                    "xfrm.pcapng", "tc.pcapng", "devlink.pcapng", "kmod/usersock.pcapng"])
def test_header_fields_match_tshark(reg, sample):
    path = _sample(sample)
    msgs = decode(reg, sample)
    ours = _ours_per_frame(reg, msgs, ["seq", "len", "portid"])
    theirs = _tshark_fields(path, ["netlink.hdr_seq", "netlink.hdr_len", "netlink.hdr_pid"])
    frames = _comparable(msgs)
    assert len(frames) > 0.5 * len(theirs)
    diff = {f: (ours[f], theirs[f]) for f in frames if ours[f] != theirs[f]}
    assert not diff
    # the same with Wireshark's names on our side
    assert _ours_per_frame(reg, msgs, ["netlink.hdr_seq", "netlink.hdr_len", "netlink.hdr_pid"]) == ours


@pytest.mark.skipif(TSHARK is None, reason="tshark not installed")
def test_flags_and_attributes_match_tshark(reg):
    path = _sample("iproute2.pcapng")
    msgs = decode(reg, "iproute2.pcapng")
    frames = _comparable(msgs)
    # tshark lists the nlmsg_flags of a request with GET/NEW flag bits twice (the header,
    # then a subtree for the kind's flags)
    lines = run(reg, msgs, "frame", "flags", "flags.request")
    want = defaultdict(list)
    for ln in lines:
        frame, flags, request = ln.split("\t")
        twice = request == "1" and int(flags, 16) & 0xF00  # with GET/NEW flags: a second subtree
        want[int(frame)] += [flags] * (2 if twice else 1)
    theirs = _tshark_fields(path, ["netlink.hdr_flags"])
    assert not {f: (want[f], theirs[f]) for f in frames if ",".join(want[f]) != theirs[f][0]}
    # attributes: the first occurrence per message (tshark does not decode a veth
    # peer's nested IFLA_IFNAME; we find it there too)
    names = ["netlink-route.ifla_ifname", "netlink-route.ifla_mtu", "netlink-route.ifla_txqlen",
             "netlink-route.ifa_label"]
    ours = _ours_per_frame(reg, msgs, names, occurrence="f")
    theirs = _tshark_fields(path, names)
    assert not {f: (ours[f], theirs[f]) for f in frames if ours[f] != theirs[f]}
    assert sum(1 for f in frames if theirs[f][0]) > 10
