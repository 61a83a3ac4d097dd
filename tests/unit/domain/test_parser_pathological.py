"""Text no plan contains but a paste or a fuzzer sends: long runs of digits, numerals or
whitespace. The number pattern must read them in one pass: it once backtracked for 19 s on
3,000 digits (hours on a large upload), and the server answered nobody meanwhile.

Not a speed target (those live in benchmarks/): the bound is a hundred times the time the
parser needs, there only so that a regression fails instead of hanging the suite."""

import os
import signal

import pytest

from closedloop.domain.plan_parser import parse_plan
from closedloop.domain.plan_parser.targets import extract_goals


@pytest.fixture
def hang_guard():
    def stop(*_):
        raise TimeoutError("the parser backtracked: it did not finish")

    old = signal.signal(signal.SIGALRM, stop)
    # under mutation testing (scripts/mutation) every call goes through mutmut's trampolines on
    # a loaded machine: a mutant must be killed by a wrong answer, not by a slow clean run;
    # mutmut's own CPU-time limit still catches a mutant that really hangs
    signal.alarm(600 if os.environ.get("MUTANT_UNDER_TEST") else 20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize(
    "text",
    ["1" * 50_000, "三" * 50_000, "一二三四五六七八九十" * 5_000, "1" + " " * 50_000 + "人", ("1" + " " * 40 + "-") * 1_000],
    ids=["digits", "numeral", "numerals", "spaces", "ranges"],
)
def test_runs_no_plan_has_are_read_in_one_pass(hang_guard, text):
    extract_goals(text)
    parse_plan(text)


def test_numbers_in_real_sentences_still_read_after_the_change():
    goals = extract_goals("到2027年，全区新增科技型中小企业1,200家以上，研发投入强度达到3.5%，新建5G基站两千个。", year=2026)
    assert [(g.value, g.unit) for g in goals] == [(1200, "家"), (3.5, "%"), (2000, "个")]
