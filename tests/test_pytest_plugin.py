"""The pytest plugin: .ternsig test programs collected and reported by pytest itself."""
from __future__ import annotations

import shutil
from importlib.metadata import entry_points

import pytest

from tests.paths import EXAMPLES, TESTS

FAILING = """\
.meta
    name failing
    role test
.requires
    test 0x000A
.registers
    H0: i32[1]
    H1: i32[1]
.program
    test.test_begin 1
    set H0, 2
    set H1, 3
    test.assert_eq H0, H1          ; two is not three
    test.test_end
    test.test_begin 2
    relu H0, H9
    test.test_end
    test.test_begin 3
    test.assert_eq H0, H0
    test.test_end
    halt
"""


@pytest.fixture
def examples(pytester):
    for f in (EXAMPLES / "tests").iterdir():
        shutil.copy(f, pytester.path / f.name)
    return pytester


def test_the_plugin_is_registered_by_entry_point():
    eps = entry_points(group="pytest11")
    assert any(ep.name == "ternsig" and ep.value == "ternsig.pytest_plugin" for ep in eps)


def test_example_test_programs_are_collected_as_pytest_tests(examples):
    result = examples.runpytest("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*test_control.ternsig::test_1 PASSED*", "*test_forward.ternsig::test_4 PASSED*"])


def test_a_failing_assertion_shows_the_program_line(pytester):
    pytester.makefile(".ternsig", test_failing=FAILING)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "*_ test_1 _*",
        "[[]test 1[]] ASSERT_EQ failed at index 0: H0[[]0[]]=2 != H1[[]0[]]=3",
        "*test_failing.ternsig:13: pc 3: test.assert_eq H0, H1",
        ">       test.assert_eq H0, H1          ; two is not three",
    ])
    result.stdout.fnmatch_lines(["error (not an assertion): Source not allocated", "*test_failing.ternsig:16: pc 6: relu H0, H9"])
    result.stdout.fnmatch_lines(["FAILED test_failing.ternsig::test_1 - [[]test 1[]] ASSERT_EQ*"])


def test_a_program_that_does_not_assemble_is_one_failing_test(pytester):
    pytester.makefile(".ternsig", test_broken=".program\n    bogus H1\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*_ <program> _*", "could not load: *test_broken.ternsig:2:5: Unknown mnemonic: bogus"])


def test_only_test_programs_are_collected_and_the_patterns_are_configurable(examples):
    (examples.path / "test_control.ternsig").rename(examples.path / "control.ternsig")
    examples.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=4)
    examples.makeini("[pytest]\nternsig_files = *.ternsig\n")
    examples.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=6)


def test_fuel_option_bounds_each_program(examples):
    result = examples.runpytest("-p", "no:cacheprovider", "--ternsig-fuel", "3")
    result.stdout.fnmatch_lines(["*step limit of 3 instructions reached*"])
    assert result.ret == 1


def test_this_repository_suite_collects_no_ternsig_programs():
    # the plugin is active for our own suite too: nothing under tests/ may match by accident
    assert not [p for p in TESTS.rglob("*.ternsig") if p.name.startswith("test_") or p.stem.endswith("_test")]
