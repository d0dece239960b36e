"""What came out: :func:`write_report` (runs_dir, out_dir): ``results.md`` (CIs over seeds), PNG plots, summary.json."""
from segcls3d.experiments.report.write import ReportOutput, write_report

__all__ = ["ReportOutput", "write_report"]
