"""index.html in a real headless browser: Debian's Chromium, driven by Playwright.

CI installs Chromium (``.ci/run``); elsewhere the test is skipped when no ``chromium`` is on the PATH.
"""
from __future__ import annotations

import os
import shutil

import matplotlib
import numpy as np
import pytest

from segcls3d.predict.index_page import write_index_page
from segcls3d.predict.overlays import overlay_path

matplotlib.use("Agg")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                reason="no chromium on the PATH (apt-get install chromium)")
#: flags for a closed network: no background connections, no first-run work
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
NASTY = "x<&>y"


def test_page_loads_lists_every_case_and_its_images_resolve(tmp_path):
    from matplotlib import pyplot as plt
    from playwright.sync_api import sync_playwright

    probabilities = {"c1": 0.31, NASTY: 0.92, "c3": 0.05, "c4": 0.66, "c5": 0.4}
    rows = [{"case_id": c, "target_probability": p, "target_label": int(p >= 0.5)} for c, p in probabilities.items()]
    for i, case in enumerate(["c1", NASTY, "c3", "c4"]):  # c5: its overlay failed
        png = overlay_path(tmp_path, case)
        png.parent.mkdir(exist_ok=True)
        plt.imsave(png, np.full((8, 12), i, dtype=float), vmin=0, vmax=4)
    page_path = write_index_page(tmp_path / "index.html", rows, ["target"], overlay_failures={"c5": "disk full"})
    assert CHROMIUM is not None, "CI must install chromium (see .ci/run)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page()
            page.goto(page_path.as_uri(), wait_until="load")
            cases = page.locator("table.cases > tbody > tr").evaluate_all("rows => rows.map(r => r.dataset.case)")
            shown = page.locator("table.cases > tbody > tr").evaluate_all(
                "rows => rows.map(r => parseFloat(r.dataset.probability))")
            images = page.evaluate("Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, "
                                   "i.naturalWidth, i.naturalHeight])")
            text = page.inner_text("body")
        finally:
            browser.close()
    assert cases == [NASTY, "c4", "c5", "c1", "c3"]  # most probable first
    assert shown == sorted(shown, reverse=True) == [0.92, 0.66, 0.4, 0.31, 0.05]
    assert len(images) == 4
    assert all(complete and width > 0 and height > 0 for _, complete, width, height in images), images
    assert NASTY in text and "disk full" in text  # shown as text, not parsed as markup
