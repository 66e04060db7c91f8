"""The pytest plugin (cspy/testing/plugin.py), driven through pytest's own ``pytester``."""

from __future__ import annotations

import re
import shlex

import pytest

pytest_plugins = ["pytester"]

BUGGY = '''
import cspy
import pytest

@pytest.mark.cspy(explore=200)
def test_ordering():
    box = []
    done = cspy.Chan(1)
    def worker():
        box.append("worker")
        done.send(None)
    cspy.go(worker)
    box.append("main")
    done.recv()
    assert box == ["main", "worker"], box
'''


def test_a_marked_test_runs_as_the_main_task_in_virtual_time(pytester: pytest.Pytester) -> None:
    pytester.makepyfile('''
        import cspy
        import pytest

        @pytest.fixture
        def items():
            return [1, 2, 3]

        @pytest.mark.cspy
        def test_hour(items, cspy_now):
            assert cspy.current_task().id == 1
            cspy.sleep(3600)
            assert cspy.now() == 3600.0 == cspy_now()
            assert items == [1, 2, 3]

        @pytest.mark.cspy(clock="real", procs=2)
        def test_real():
            assert cspy.now() > 0

        def test_unmarked():
            with pytest.raises(RuntimeError):
                cspy.current_task()
    ''')
    result = pytester.runpytest("--strict-markers", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_an_explored_failure_prints_a_command_that_replays_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_bug=BUGGY)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "ScheduleFailure" in out and "['worker', 'main']" in out
    m = re.search(r"replay it with:\s*\n\S*\s+(python -m pytest \S+ --cspy-replay=(\S+))", out)
    assert m, out
    command, token = m.group(1), m.group(2)
    argv = shlex.split(command)
    assert argv[:3] == ["python", "-m", "pytest"] and argv[3] == "test_bug.py::test_ordering"
    replayed = pytester.runpytest(*argv[3:], "-p", "no:cacheprovider")
    replayed.assert_outcomes(failed=1)
    replay_out = replayed.stdout.str()
    assert "AssertionError: ['worker', 'main']" in replay_out
    assert "ScheduleFailure" not in replay_out  # a replay raises what the run raised
    assert token.startswith("cspy1")


def test_the_options_seed_explore_and_leaks(pytester: pytest.Pytester) -> None:
    pytester.makepyfile('''
        import cspy
        import pytest

        ORDERS = []

        @pytest.mark.cspy
        def test_records():
            out = cspy.Chan(10)
            for name in "abc":
                cspy.go(lambda name=name: (cspy.gosched(), out.send(name)))
            cspy.sleep(1)
            ORDERS.append("".join(out.recv() for _ in range(3)))

        @pytest.mark.cspy
        def test_unbuffered_race():
            box = []
            cspy.go(lambda: box.append("x"))
            assert box == []

        @pytest.mark.cspy(leaks="off")
        def test_leaks_off():
            cspy.go(cspy.Chan().recv)

        @pytest.mark.cspy
        def test_leak():
            cspy.go(cspy.Chan().recv, name="stuck")
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "records or race or leak", "--cspy-seed=4")
    result.assert_outcomes(passed=3, failed=1)
    assert re.search(r"LeakError: 1 task leaked", result.stdout.str())
    assert "'stuck' [chan receive]" in result.stdout.str()
    explored = pytester.runpytest("-p", "no:cacheprovider", "-k", "race", "--cspy-explore=50")
    explored.assert_outcomes(failed=1)
    assert "--cspy-replay=cspy1" in explored.stdout.str()


def test_bad_marker_use_is_reported(pytester: pytest.Pytester) -> None:
    pytester.makepyfile('''
        import pytest

        @pytest.mark.cspy(5)
        def test_positional():
            pass

        @pytest.mark.cspy(explor=3)
        def test_typo():
            pass

        @pytest.mark.cspy(explore=3, procs=2)
        def test_explore_procs():
            pass

        @pytest.mark.cspy
        async def test_async():
            pass
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=4)
    out = result.stdout.str()
    assert "takes keywords only" in out
    assert "unknown keywords ['explor']" in out
    assert "exploration runs on one processor" in out
    assert "is async" in out


def test_the_marker_is_registered_and_the_plugin_can_be_turned_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile('''
        import pytest

        @pytest.mark.cspy
        def test_marked():
            import cspy
            cspy.current_task()
    ''')
    assert "cspy(seed=None" in pytester.runpytest("--markers").stdout.str()
    pytester.runpytest("--strict-markers", "-p", "no:cacheprovider").assert_outcomes(passed=1)
    # (in a fresh process: the in-process run shares this one's loaded plugins)
    off = pytester.runpytest_subprocess("--strict-markers", "-p", "no:cspy", "-p", "no:cacheprovider")
    off.assert_outcomes(errors=1)  # the marker is unknown without the plugin
    assert "'cspy' not found in `markers`" in off.stdout.str()
