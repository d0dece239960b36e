"""What came out: run records -> ``results.md`` (tables with CIs over seeds), PNG plots, ``summary.json``.

Public API:
    write_report(runs_dir, out_dir) -> ReportOutput
"""
from segcls3d.experiments.report.write import ReportOutput, write_report

__all__ = ["ReportOutput", "write_report"]
