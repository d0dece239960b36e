"""Final validation: image-level metrics of g on the full validation cases (sliding window)."""
from __future__ import annotations

from pathlib import Path

from segcls3d.training.validation_summary import summarize_probability_files


class CaseValidationMixin:
    """After nnU-Net's final validation, summarize each validation case and report AUROC etc.

    Writes ``validation/classification.csv`` and ``validation/summary_classification.json``. The
    probabilities are kept only if ``--npz`` was given (they are the out-of-fold predictions that
    trained summarizers are fitted on).
    """

    def perform_actual_validation(self, save_probabilities: bool = False):
        super().perform_actual_validation(True)
        if self.local_rank != 0:
            return
        folder = Path(self.output_folder) / "validation"
        rows = summarize_probability_files(
            folder, self.channel_groups, self.summarizer, delete_probabilities=not save_probabilities
        )
        self.add_validation_columns(rows)
        self.report_case_validation(rows, folder)

    def add_validation_columns(self, rows: list[dict]) -> None:
        """Hook for subclasses that add columns (e.g. a head's probability) to the validation rows."""

    def report_case_validation(self, rows: list[dict], folder: Path) -> None:
        """Write classification.csv + metrics for validation rows and log the AUROCs."""
        import pandas as pd

        from segcls3d.evaluate import evaluate_predictions
        from segcls3d.io import write_json_atomic
        from segcls3d.summarize import write_classification_csv

        if not rows:
            self.print_to_log_file("segcls3d: no validation cases to summarize")
            return
        write_classification_csv(folder / "classification.csv", rows)
        labels = self.load_case_labels()
        result = evaluate_predictions(pd.DataFrame(rows), labels, n_bootstrap=200, seed=0)
        write_json_atomic(folder / "summary_classification.json", result)
        for name, per_class in result.get("classes", {}).items():
            for source, metrics in per_class.get("sources", {}).items():
                auroc = metrics["auroc"]["value"]
                self.logger.log_summary(f"final_val/{name}_{source}_auroc", auroc)
                self.print_to_log_file(f"segcls3d: validation AUROC {name} ({source}): {auroc}",
                                       also_print_to_console=True)
