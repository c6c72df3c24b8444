"""`make journeys`: the repeat tool reads each run's JUnit report and names the flaky journey."""

from tests.e2e.repeat import read_run, summarise

REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
<testcase classname="tests.e2e.test_journeys" name="test_teacher_on_a_phone" time="2.5"/>
<testcase classname="tests.e2e.test_report_journey" name="test_rollover" time="{slow}">{problem}</testcase>
<testcase classname="tests.e2e.test_notes_journey" name="test_notes" time="0.1"><skipped message="no mentee"/></testcase>
</testsuite></testsuites>"""


def test_failures_and_slowest_time_per_journey(tmp_path):
    first, second = tmp_path / "run-1.xml", tmp_path / "run-2.xml"
    first.write_text(REPORT.format(slow="5.0", problem=""), encoding="utf-8")
    second.write_text(REPORT.format(slow="11.0", problem='<failure message="AssertionError: h1">trace</failure>'),
                      encoding="utf-8")
    runs = [read_run(first), read_run(second), read_run(tmp_path / "missing.xml")]
    assert [len(r) for r in runs] == [2, 2, 0]  # the skipped journey is not counted

    lines, failures = summarise(runs)
    assert failures == 1
    header, worst, other = lines[0].split(), lines[1].split(), lines[2].split()
    assert header[:3] == ["journey", "runs", "failed"]
    assert worst == ["test_report_journey::test_rollover", "2", "1", "11.0", "8.0"]
    assert other == ["test_journeys::test_teacher_on_a_phone", "2", "0", "2.5", "2.5"]
    assert "run 2: test_report_journey::test_rollover" in lines[3]
    assert "AssertionError: h1" in lines[3]
