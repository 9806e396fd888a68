"""The display-filter language: every operator, value kind, field and alias, the
errors (with their column), and the same selection from `read -Y` and `export -Y`."""
from __future__ import annotations

import ipaddress
import json
import subprocess
import sys

import pytest
from conftest import FIXTURES, ROOT, SAMPLES, committed
from test_transactions import route_registry

from nlscope.decode.decoder import Decoder
from nlscope.analysis.filter import ALIASES, FIELDS, Filter, FilterError, compile_filter, field_names
from nlscope.decode.model import find
from nlscope.capture.pcapio import CaptureReader
from nlscope.analysis.transactions import correlate

HARD = FIXTURES / "txn-hard.pcap"


@pytest.fixture(scope="module")
def pairs():
    return list(correlate(Decoder(route_registry()).messages(CaptureReader(HARD))))


def sel(pairs, text):
    f = compile_filter(text)
    return [m.number for m, t in pairs if f(m, t)]


def where(pairs, pred):
    return [m.number for m, t in pairs if pred(m, t)]


# -- operators -------------------------------------------------------------------------

def test_equality_and_names(pairs):
    assert sel(pairs, "type == RTM_GETLINK") == where(pairs, lambda m, t: m.type == 18) == [1, 5, 37]
    assert sel(pairs, "type == 18") == [1, 5, 37]
    assert sel(pairs, 'type == "rtm_getlink"') == [1, 5, 37]  # names compare without case
    assert sel(pairs, "type eq RTM_GETLINK") == [1, 5, 37]
    assert sel(pairs, "seq == 0x64") == [1, 2, 3, 4]


def test_not_equal_is_not_any_equal(pairs):
    everyone = [m.number for m, _ in pairs]
    assert sel(pairs, "type != RTM_GETLINK") == [n for n in everyone if n not in (1, 5, 37)]
    assert sel(pairs, "type ne 18") == sel(pairs, "!(type == 18)")


@pytest.mark.parametrize("op,word,py", [
    ("<", "lt", lambda a, b: a < b), ("<=", "le", lambda a, b: a <= b),
    (">", "gt", lambda a, b: a > b), (">=", "ge", lambda a, b: a >= b)])
def test_ordering(pairs, op, word, py):
    want = where(pairs, lambda m, t: py(m.seq, 300))
    assert sel(pairs, f"seq {op} 300") == want
    assert sel(pairs, f"seq {word} 300") == want
    assert want and len(want) < len(pairs)


def test_logic_precedence_and_parentheses(pairs):
    a = set(sel(pairs, "seq == 1"))
    b = set(sel(pairs, "role == done"))
    c = set(sel(pairs, "portid == 6001"))
    assert set(sel(pairs, "seq == 1 and role == done or portid == 6001")) == (a & b) | c
    assert set(sel(pairs, "seq == 1 && (role == done || portid == 6001)")) == a & (b | c)
    assert set(sel(pairs, "not seq == 1 and role == done")) == b - a
    assert set(sel(pairs, "!(seq == 1 and role == done)")) == {m.number for m, _ in pairs} - (a & b)
    assert sel(pairs, "seq == 1 AND role == done") == sorted(a & b)


def test_in_sets_and_ranges(pairs):
    assert sel(pairs, "seq in {100 300}") == where(pairs, lambda m, t: m.seq in (100, 300))
    assert sel(pairs, "seq in {100, 300}") == sel(pairs, "seq in {100 300}")
    assert sel(pairs, "seq in {1..7}") == where(pairs, lambda m, t: 1 <= m.seq <= 7)
    assert sel(pairs, "type in {RTM_GETLINK RTM_GETADDR}") == where(pairs, lambda m, t: m.type in (18, 22))
    assert sel(pairs, "errno in {ESRCH, EEXIST}") == [14, 36]
    assert sel(pairs, "latency in {0.1ms..0.25ms}") == where(
        pairs, lambda m, t: t is not None and t.latency_ns is not None and 100_000 <= t.latency_ns <= 250_000)


def test_regex_and_contains(pairs):
    names = lambda m: [f.value for f in m.tree[1:] for _, f in f.walk() if f.name == "IFLA_IFNAME"]  # noqa: E731
    assert sel(pairs, 'attr.IFLA_IFNAME ~ "eth"') == where(pairs, lambda m, t: any("eth" in n for n in names(m)))
    assert sel(pairs, 'attr.IFLA_IFNAME matches "^(LO|DUMMY)"') == where(
        pairs, lambda m, t: any(n in ("lo", "dummy0") for n in names(m)))  # ~ ignores case, like Wireshark
    assert sel(pairs, 'extack contains "gateway"') == [28]
    assert sel(pairs, "flags contains MULTI") == where(pairs, lambda m, t: m.flags & 2)
    assert sel(pairs, 'summary contains "RTA_GATEWAY"') == [28]


def test_presence_and_flags(pairs):
    assert sel(pairs, "flags.ack") == where(pairs, lambda m, t: m.flags & 4)
    assert sel(pairs, "!flags.ack") == where(pairs, lambda m, t: not m.flags & 4)
    assert sel(pairs, "flags.ack == false") == sel(pairs, "!flags.ack")
    assert sel(pairs, "flags.dump") == [1, 5, 6, 16, 17, 46]
    assert sel(pairs, "flags.capped") == where(pairs, lambda m, t: m.type == 2 and m.flags & 0x100)
    assert sel(pairs, "flags.echo") == [39]
    assert sel(pairs, "flags == 0x605") == where(pairs, lambda m, t: m.flags == 0x605)
    assert sel(pairs, "extack") == [28, 36]
    assert sel(pairs, "attr.RTA_GATEWAY") == where(pairs, lambda m, t: find(m.tree, "RTA_GATEWAY"))


def test_addresses_and_prefixes(pairs):
    def dst_in(net):
        n = ipaddress.ip_network(net)
        return lambda m, t: any(ipaddress.ip_address(f.value) in n
                                for top in m.tree[1:] for _, f in top.walk() if f.name == "RTA_DST")
    assert sel(pairs, "attr.RTA_DST == 10.10.0.0/16") == where(pairs, dst_in("10.10.0.0/16"))
    assert sel(pairs, "attr.RTA_DST == 10.0.0.0/8") == where(pairs, dst_in("10.0.0.0/8"))
    assert sel(pairs, "attr.RTA_DST == 10.2.0.0") == [20]
    assert sel(pairs, "attr.RTA_DST == 2001:db8::/32") == []  # another family never matches
    assert sel(pairs, "attr.RTA_GATEWAY == 100.64.0.1") == [27]
    assert sel(pairs, "attr.RTA_DST > 10.3.0.0") == where(
        pairs, lambda m, t: any(ipaddress.ip_address(f.value) > ipaddress.ip_address("10.3.0.0")
                                for top in m.tree[1:] for _, f in top.walk() if f.name == "RTA_DST"))


def test_nested_attribute_paths_and_struct_members(pairs):
    assert sel(pairs, "attr.rtmsg.rtm_dst_len == 24") == where(
        pairs, lambda m, t: m.tree[1:2] and m.tree[1].name == "rtmsg" and m.tree[1].get("rtm_dst_len").value == 24)
    assert sel(pairs, "attr.ifi_index == 5") == [33]
    assert sel(pairs, "IFLA_IFNAME == dummy0") == [33]  # a kernel attribute name alone
    assert sel(pairs, "attr.attributes.IFLA_IFNAME == dummy0") == [33]


def test_errors_errno_and_durations(pairs):
    assert sel(pairs, "error") == [14, 28, 36]
    assert sel(pairs, "errno == ENODEV") == []
    assert sel(pairs, "errno == EINVAL") == sel(pairs, "errno == 22") == sel(pairs, "errno == -22") == [28]
    assert sel(pairs, "errno == 0") == [15, 26, 31, 41]  # the ACKs
    assert sel(pairs, "latency > 1ms") == [27, 28]
    assert sel(pairs, "latency >= 1500us") == [27, 28]
    assert sel(pairs, "latency > 0.001") == [27, 28]  # bare numbers are seconds, as in Wireshark
    assert sel(pairs, "latency < 150000ns and role == request") == [13, 35]
    assert sel(pairs, "txn.latency_first == 200us") == sel(pairs, "txn.latency_first == 0.2ms")


def test_transaction_fields(pairs):
    assert sel(pairs, "txn.status == unanswered") == [45]
    assert sel(pairs, "txn.status == incomplete") == [46, 47, 48]
    assert sel(pairs, "txn.status == no_reply") == [34]
    assert sel(pairs, "txn.status == orphan") == [42, 43, 44]
    assert sel(pairs, "role == event") == [30, 32, 33]
    assert sel(pairs, "caused_by == 29") == [30, 32]
    assert sel(pairs, "reply_to == 16") == [18, 20, 23, 24]
    assert sel(pairs, "txn.kind == request and txn.expects == dump and txn.replies >= 3") == [16, 18, 20, 23, 24]
    assert sel(pairs, "txn.error_attr == RTA_GATEWAY") == [27, 28]
    assert sel(pairs, "txn.errno == ESRCH") == [13, 14]
    assert sel(pairs, "txn.portid == 7002 and role == request") == [17]
    assert sel(pairs, "txn.events == 1 and role == request") == [29]
    assert sel(pairs, "txn.id == 1") == [1, 2, 3, 4]
    assert sel(pairs, "txn.request == 5") == [5, 8, 10, 11]
    assert sel(pairs, "txn.end == 24 && role == request") == [16]
    assert sel(pairs, "txn.dump && txn.messages > 4") == [16, 18, 20, 23, 24]


def test_message_fields(pairs):
    assert sel(pairs, "number <= 3") == [1, 2, 3]
    assert sel(pairs, "frame == 2") == [2, 3]
    assert sel(pairs, 'family == "route"') == sel(pairs, "family == 0") == [m.number for m, _ in pairs]
    assert sel(pairs, "protocol == 0") == sel(pairs, "family == route")
    assert sel(pairs, "kind == get and direction == out") == where(pairs, lambda m, t: m.kind == "get" and m.flags & 1)
    assert sel(pairs, "len > 100") == where(pairs, lambda m, t: m.nlmsg_len > 100)
    assert sel(pairs, "malformed") == []
    assert sel(pairs, "problems") == []
    assert sel(pairs, "pid") == [] and sel(pairs, 'comm == "ip"') == []  # nlmon knows no process


def test_every_field_evaluates_on_every_message(pairs):
    for name in field_names():
        if name.endswith("."):
            continue
        f = compile_filter(name)
        for m, t in pairs:
            f(m, t)
            f(m, None)  # without a transaction, txn fields are simply absent


# -- Wireshark's names -----------------------------------------------------------------

@pytest.mark.parametrize("alias,ours,value", [
    ("netlink.hdr_type", "type", "RTM_NEWROUTE"), ("netlink.hdr_seq", "seq", "600"),
    ("netlink.hdr_pid", "portid", "8001"), ("netlink.hdr_len", "len", "52"),
    ("netlink.family", "family", "0"), ("netlink.hdr_flags", "flags", "0x605"),
    ("netlink.error", "errno", "-22"), ("frame.number", "number", "7"), ("info", "summary", '"RTM_NEWROUTE"')])
def test_wireshark_aliases(pairs, alias, ours, value):
    assert sel(pairs, f"{alias} == {value}") == sel(pairs, f"{ours} == {value}")
    assert sel(pairs, f"{alias} == {value}")


@pytest.mark.parametrize("flag", ["request", "multi", "ack", "echo", "dump_intr", "dump_filtered", "root",
                                  "match", "atomic", "replace", "excl", "create", "append", "capped"])
def test_wireshark_flag_aliases(pairs, flag):
    assert sel(pairs, f"netlink.hdr_flags.{flag}") == sel(pairs, f"flags.{flag}")


def test_wireshark_family_field_names(pairs):
    assert sel(pairs, 'netlink-route.ifla_ifname == "eth0"') == sel(pairs, 'attr.IFLA_IFNAME == "eth0"') != []
    assert sel(pairs, "netlink-route.rt_dst_len == 16") == sel(pairs, "attr.rtm_dst_len == 16") != []


def test_every_alias_names_a_field():
    for alias, canon in ALIASES.items():
        assert canon in FIELDS, alias
        assert alias in field_names()


def test_genl_fields_on_a_real_capture():
    path = committed(SAMPLES / "genl.pcapng")
    from nlscope.decode.registry import default_registry
    ps = list(correlate(Decoder(default_registry()).messages(CaptureReader(path))))
    nl80211 = sel(ps, "family == nl80211")
    assert nl80211 and set(nl80211) < set(sel(ps, "family == generic"))
    cmds = sel(ps, "genl.cmd == GET_INTERFACE or genl.cmd == NEW_INTERFACE")
    assert cmds and set(cmds) <= set(sel(ps, 'type ~ "INTERFACE"'))
    assert sel(ps, "genl.cmd == 3 and family == nlctrl") == sel(ps, "genl.cmd == GETFAMILY and family == nlctrl") != []


# -- errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("text,column,message", [
    ("seq == ", 8, "expected a value after '=='"),
    ("type == RTM_NEWLINK and seq ==", 31, "expected a value after '=='"),
    ("seq = 5", 5, "use '==' to compare"),
    ("seq == 1 & flags.ack", 10, "use '&&'"),
    ("seq == 1 | flags.ack", 10, "use '||'"),
    ("bogus == 1", 1, "unknown field 'bogus'"),
    ("flags.nosuch", 1, "unknown flag 'nosuch'"),
    ("(seq == 1", 10, "expected ')' to close the '(' at column 1"),
    ("seq == 1)", 9, "unexpected ')'"),
    ("seq == 1 seq == 2", 10, "expected 'and' or 'or' before 'seq'"),
    ("type RTM_NEWLINK", 6, "expected an operator"),
    ("seq == abc", 8, "seq is a number"),
    ("latency > fast", 11, "latency is a time"),
    ("flags.ack == maybe", 14, "yes/no"),
    ('summary ~ "(x"', 12, "bad regular expression"),
    ('summary == "open', 12, "string not closed"),
    ("seq in {1 2", 12, "expected '}' to close the set"),
    ("seq in 1", 8, "expected '{' after 'in'"),
    ("seq in {}", 8, "empty set"),
    ("seq in {1..}", 9, "a range needs both ends"),
    ("", 1, "empty filter"),
    ("not", 4, "expected a test after 'not'"),
    ("seq == 1 and", 13, "expected a test"),
    ("()", 2, "expected a test after '('"),
    ("== 5", 1, "expected a field name"),
    ("seq contains 5", 14, "'contains' does not apply to seq"),
    ('__import__("os")', 1, "unknown field"),
    ("seq == 1 @", 10, "unexpected character '@'"),
])
def test_errors_point_at_the_column(text, column, message):
    with pytest.raises(FilterError) as ei:
        compile_filter(text)
    e = ei.value
    assert e.column == column and message in e.msg, (e.column, e.msg)
    assert str(e) == f"filter: column {column}: {e.msg}"
    line, caret = e.caret(text, indent="").split("\n")
    assert line == text and caret == " " * (column - 1) + "^"


def test_filter_api_for_the_tui(pairs):
    f = compile_filter("flags.ack and seq > 100")
    assert isinstance(f, Filter) and f.text == "flags.ack and seq > 100" and not f.needs_txn
    m = pairs[24][0]  # RTM_NEWADDR seq 400 with ACK
    assert f(m) is True  # the transaction is optional
    assert compile_filter("txn.status == ok").needs_txn and compile_filter("latency > 1ms").needs_txn
    names = field_names()
    assert names == sorted(set(names)) and {"type", "attr.", "netlink.hdr_seq", "txn.status"} <= set(names)
    assert all(FIELDS[n].help for n in FIELDS)


# -- the command line ----------------------------------------------------------------------

def nlscope(*args):
    return subprocess.run([sys.executable, "-m", "nlscope", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT)


def _read_numbers(path, flt):
    r = nlscope("read", path, "-Y", flt)
    assert r.returncode == 0, r.stderr
    return [int(line.split()[0]) for line in r.stdout.splitlines()[1:]]


def _export_numbers(path, flt, fmt="jsonl"):
    r = nlscope("export", path, "-Y", flt, "--format", fmt)
    assert r.returncode == 0, r.stderr
    objs = [json.loads(x) for x in r.stdout.splitlines()] if fmt == "jsonl" else json.loads(r.stdout)
    return [o["number"] for o in objs]


@pytest.mark.parametrize("flt", [
    "type == RTM_NEWROUTE", "txn.status == error", "flags.ack && !error", "attr.RTA_DST == 10.0.0.0/8",
    "latency > 0.5ms", "role in {ack done}", "netlink.hdr_seq == 600 || errno == EEXIST"])
def test_read_and_export_select_the_same_messages(flt):
    r = _read_numbers(HARD, flt)
    assert r == _export_numbers(HARD, flt) == _export_numbers(HARD, flt, "json")


@pytest.mark.parametrize("flt", ["error", "txn.status != ok and role == request", "family == generic and flags.dump",
                                 'summary ~ "dummy"', "latency > 2ms"])
def test_read_and_export_agree_on_a_real_capture(flt):
    path = committed(SAMPLES / "mixed.pcapng")
    r = _read_numbers(path, flt)
    assert r == _export_numbers(path, flt)
    assert r, f"{flt} selects nothing in mixed.pcapng"


def test_bad_filter_is_one_clear_error_and_status_2():
    for cmd in ("read", "export", "stats"):
        r = nlscope(cmd, HARD, "-Y", "seq == 5 and type ==")
        assert r.returncode == 2
        assert r.stdout == ""
        lines = r.stderr.splitlines()
        assert lines == ["nlscope: error: filter: column 21: expected a value after '=='",
                         "    seq == 5 and type ==",
                         "                        ^"]


def test_read_transactions_with_a_filter():
    r = nlscope("read", "--transactions", HARD, "-Y", "error")
    assert r.returncode == 0, r.stderr
    rows = r.stdout.splitlines()[1:]
    assert [int(x.split()[0]) for x in rows] == [13, 27, 35]
    assert all(row.endswith(" error") for row in rows)
    assert 'EINVAL (-22) "Nexthop has invalid gateway"' in rows[1]
