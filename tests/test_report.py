from campaign.problems import Problem, Severity
from campaign.report import problem_lines


def test_many_warnings_of_one_kind_are_counted_but_errors_all_shown() -> None:
    warnings = [Problem(Severity.WARNING, "text-truncated", f"w{n}") for n in range(9)]
    errors = [Problem(Severity.ERROR, "render-failed", f"e{n}", "c.csv", n) for n in range(7)]
    lines = problem_lines([*warnings, *errors], per_code=5)
    assert sum(line.startswith("warning: w") for line in lines) == 5
    assert sum("error: e" in line for line in lines) == 7
    assert lines[-1] == "warning: … and 4 more 'text-truncated' warnings (all are in manifest.json)"
