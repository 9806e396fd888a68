"""Hostile display filters (issue 12, item 7): huge numbers, deep nesting, long runs of
`!`, and regular expressions that backtrack catastrophically in Python's `re` are each
a one-line FilterError at a column (or simply work), never a traceback or a hang."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import ROOT, SAMPLES

from nlscope.analysis.filter import MAX_DIGITS, MAX_NESTING, FilterError, compile_filter
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.decoder import Decoder
from nlscope.decode.registry import default_registry

BIG = "9" * 300
MIXED = SAMPLES / "mixed.pcapng"  # 249 messages


@pytest.fixture(scope="module")
def messages():
    dec = Decoder(default_registry(entry_points=False))
    msgs = [dec.decode(m) for m in dec.messages(CaptureReader(str(MIXED)))]
    assert len(msgs) == 249
    return msgs


@pytest.mark.parametrize("text,column", [
    (f"len == {BIG}", 8),
    (f"seq > {BIG}", 7),
    (f"latency > {BIG}", 11),
    (f"latency > {BIG}ms", 11),
    (f"seq in {{1..{BIG}}}", 12),
    (f"errno == {BIG}", 10),
    (f"type == {BIG}", 9),
    (f"flags == {BIG}", 10),
    ("seq == " + "9" * 5000, 8),
])
def test_huge_numbers_are_an_error_at_their_column(text, column):
    with pytest.raises(FilterError) as ei:
        compile_filter(text)
    assert ei.value.column == column and "number too long" in ei.value.msg
    assert str(MAX_DIGITS) in ei.value.msg


def test_long_numbers_up_to_the_bound_still_work(messages):
    f = compile_filter("seq < " + "9" * MAX_DIGITS)
    assert all(f(m) for m in messages if m.seq is not None)


def test_deep_parentheses_are_an_error_at_the_first_too_deep(messages):
    for n in (MAX_NESTING + 1, 250, 5000):
        with pytest.raises(FilterError) as ei:
            compile_filter("(" * n + "seq == 1" + ")" * n)
        assert ei.value.column == MAX_NESTING + 1 and "nested too deep" in ei.value.msg
    with pytest.raises(FilterError) as ei:
        compile_filter("(!" * 300 + "seq == 1" + ")" * 300)
    assert ei.value.column == 2 * MAX_NESTING + 1


def test_nesting_at_the_bound_parses_and_evaluates(messages):
    # two levels per step, an `and` and an `or`: the evaluation nests as deep as the parse
    text = "seq == 1"
    for i in range(MAX_NESTING // 2):
        text = f"(len > 0 and ({text} or seq == {i}))"
    assert text.count("(") == MAX_NESTING
    f = compile_filter(text)
    flat = compile_filter(f"len > 0 and (seq == 1 or seq in {{0..{MAX_NESTING // 2 - 1}}})")
    assert [f(m) for m in messages] == [flat(m) for m in messages]
    with pytest.raises(FilterError):
        compile_filter("(" + text + ")")


def test_any_number_of_nots(messages):
    for n in (1000, 1001, 20000):
        for neg in ("!", "not "):
            f = compile_filter(neg * n + "len > 0")
            assert all(f(m) == (n % 2 == 0) for m in messages[:20])


def test_catastrophic_regex_finishes_with_the_right_answer(messages):
    f = compile_filter(r'summary ~ "^(\w+\s?)*$"')
    got = [m.number for m in messages if f(m)]
    # The same question, unambiguous (linear in `re` too): words, single spaces between.
    words = re.compile(r"(?:[A-Za-z0-9_]+(?:\s[A-Za-z0-9_]+)*\s?)?")
    want = [m.number for m in messages if words.fullmatch(m.summary)]
    assert got == want and 0 < len(got) < 249


def test_catastrophic_regex_from_the_cli():
    r = subprocess.run([sys.executable, "-m", "nlscope", "read", str(MIXED), "-Y",
                        r'summary ~ "^(\w+\s?)*$"', "-T", "fields", "-e", "number"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert 0 < len(r.stdout.split()) < 249


@pytest.mark.parametrize("pattern,what", [
    (r"(a)\1", "invalid escape sequence"),  # a backreference
    (r"(?<=a)b", "invalid perl operator"),  # lookbehind
    (r"(?=a)", "invalid perl operator"),  # lookahead
    ("a{1000}{1000}", "bad repetition"),
    ("(x", "missing )"),
])
def test_patterns_re2_does_not_take_are_one_line_errors(pattern, what):
    text = f'summary ~ "{pattern}"'
    with pytest.raises(FilterError) as ei:
        compile_filter(text)
    e = ei.value
    assert e.column == 12 and "bad regular expression" in e.msg and what in e.msg, e.msg
    assert "\n" not in str(e)


def test_cli_errors_are_one_line_without_traceback():
    for text in (f"len == {BIG}", "(" * 250 + "seq == 1" + ")" * 250, r'summary ~ "(a)\1"'):
        r = subprocess.run([sys.executable, "-m", "nlscope", "read", str(MIXED), "-Y", text],
                           capture_output=True, text=True, cwd=ROOT)
        assert r.returncode == 2, (r.returncode, r.stderr)
        assert "Traceback" not in r.stderr and "column" in r.stderr
        assert "re2.cc" not in r.stderr  # the library logs nothing of its own
        assert r.stdout == ""


def test_regex_is_case_insensitive_and_unicode(messages):
    f = compile_filter('type ~ "rtm_newlink|ctrl"')
    assert any(f(m) for m in messages)
    assert compile_filter('summary ~ "é"')  # UTF-8 patterns compile


def test_tui_filter_bar_gets_a_problem_with_its_column():
    from nlscope.tui.filters import FilterProblem
    from nlscope.tui.filters import compile_filter as tui_compile
    for text, col in ((f"len == {BIG}", 8), ("(" * 250 + "seq == 1" + ")" * 250, MAX_NESTING + 1),
                      (r'summary ~ "(a)\1"', 12)):
        with pytest.raises(FilterProblem) as ei:
            tui_compile(text)
        assert ei.value.column == col - 1  # the bar counts from 0
    assert tui_compile("!" * 1000 + "len > 0") is not None
