"""The HTML report of the `.test` run, opened in headless Chromium.

The Snakemake report is one self-contained HTML file (React, Vega and Tailwind inlined), so the
browser needs no network. The test walks the app as a reader would: every category, every
subcategory, the info panel of every item (its caption) and the view of a figure and a table.
Screenshots go to $TEST_ARTIFACTS_DIR (default: test-artifacts/ in the repository).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from workflow_runner import WorkflowCopy

from conftest import REPO_ROOT, TEST_RUN_CONFIGFILES

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROME_ARGUMENTS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1600,1000",
)


def artifacts_dir() -> Path:
    directory = Path(os.environ.get("TEST_ARTIFACTS_DIR", REPO_ROOT / "test-artifacts"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture(scope="module")
def report_html(test_workflow_run: WorkflowCopy) -> Path:
    """`snakemake --report` of the `.test` run, as HTML and as ZIP."""
    for name in ("report.html", "report.zip"):
        test_workflow_run.run("--report", name, configfiles=TEST_RUN_CONFIGFILES)
    with zipfile.ZipFile(test_workflow_run.path("report.zip")) as archive:
        names = archive.namelist()
    assert any(n.endswith("report.html") for n in names), names[:20]
    return test_workflow_run.path("report.html")


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Headless Chromium; skipped without it, except under CI=true where it must run."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as error:
        missing.append(f"selenium ({error})")
    if missing:
        message = f"browser test needs {', '.join(missing)} (.ci/install.sh installs them)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in CHROME_ARGUMENTS:
        options.add_argument(argument)
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(condition: Callable[[], object], what: str, timeout: float = 20.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def run_config(workflow: WorkflowCopy) -> dict:
    """config.yaml with the run's overlays, merged one level deep as Snakemake does here."""
    config = yaml.safe_load(workflow.path("config.yaml").read_text())
    for name in TEST_RUN_CONFIGFILES:
        for key, value in (yaml.safe_load(workflow.path(name).read_text()) or {}).items():
            if isinstance(value, dict) and isinstance(config.get(key), dict):
                config[key] = {**config[key], **value}
            else:
                config[key] = value
    return config


class ReportPage:
    """Clicks through the report app by visible text, as a reader would."""

    def __init__(self, driver) -> None:  # noqa: ANN001 - selenium WebDriver
        from selenium.webdriver.common.by import By

        self.driver = driver
        self.by = By

    def links(self) -> dict[str, object]:
        found = {}
        for link in self.driver.find_elements(self.by.CSS_SELECTOR, "#app a"):
            text = link.text.strip()
            if text and text not in found:
                found[text] = link
        return found

    def press(self, element) -> None:  # noqa: ANN001 - selenium WebElement
        """Click `element` after scrolling it into view (long paths widen the side panel)."""
        self.driver.execute_script(
            "arguments[0].scrollIntoView({block: 'center', inline: 'end'})", element
        )
        # The side panel animates its width (CSS transitions): click once the element stays put.
        last: list[dict] = []

        def settled() -> bool:
            last.append(element.rect)
            return len(last) > 2 and last[-1] == last[-2] == last[-3]

        wait_for(settled, "the element to stop moving")
        element.click()

    def click(self, text: str) -> None:
        self.press(wait_for(lambda: self.links().get(text), f"link {text!r}"))

    def home(self) -> None:
        """Back to the top menu (General, Results) through the breadcrumbs' first entry."""
        if "Results" in self.links():
            self.click("Results")
        wait_for(lambda: "Workflow" in self.links(), "the top menu")

    def result_rows(self) -> list:
        return self.driver.find_elements(self.by.CSS_SELECTOR, "#app table.table-auto tbody tr")

    def open_info(self, row_index: int) -> tuple[str, str]:
        """(path, caption text) shown by the info button of result row `row_index`."""
        row = self.result_rows()[row_index]
        label = row.text
        self.press(row.find_elements(self.by.CSS_SELECTOR, "td:last-child a")[-1])
        caption = wait_for(
            lambda: self.driver.find_elements(self.by.CSS_SELECTOR, "#app li.prose"),
            f"the description of {label!r}",
        )[0].text
        path = self.driver.find_element(self.by.CSS_SELECTOR, "#app nav ol li.grow").text
        return path.strip(), caption.strip()


def severe_console_messages(driver) -> list[str]:  # noqa: ANN001 - selenium WebDriver
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


@pytest.mark.browser
def test_report_in_browser(report_html: Path, browser, test_workflow_run: WorkflowCopy) -> None:  # noqa: ANN001
    started = time.monotonic()
    config = run_config(test_workflow_run)
    tasks = list(config["tasks"])
    browser.get(report_html.as_uri())
    page = ReportPage(browser)
    wait_for(lambda: "RESULTS" in browser.find_element("id", "app").text.upper(), "the app")
    browser.save_screenshot(str(artifacts_dir() / "report-workflow.png"))

    # The method description, with this run's config values interpolated.
    # textContent: the description is longer than the window, and .text only sees what shows
    description = browser.execute_script("return document.getElementById('app').textContent")
    assert "{{" not in description and "{%" not in description
    assert "Differences from the paper" in description
    assert f"{config['train']['epochs']} epochs" in description
    assert f"``{config['denoise']['wavelet']}``" not in description  # rendered, not raw RST
    assert config["denoise"]["wavelet"] in description

    # Categories: one per task, plus data and summary.
    categories = browser.execute_script("return Object.keys(categories)")
    assert set(categories) == {"data", "summary", *tasks}
    items: dict[str, str] = {}  # path -> caption, collected by clicking through the app
    for category in sorted(categories):
        page.home()
        page.click(category)
        subcategories = browser.execute_script(
            "return Object.keys(categories[arguments[0]])", category
        )
        if category in tasks:
            assert {"data", "training", "evaluation"} <= set(subcategories), subcategories
        for subcategory in sorted(subcategories):
            if len(subcategories) > 1:
                page.click(category)
                page.click(subcategory)
            n_rows = len(wait_for(page.result_rows, f"results of {category}/{subcategory}"))
            for index in range(n_rows):
                path, caption = page.open_info(index)
                items[path] = caption
                # back to the list; a single subcategory has no breadcrumb of its own
                page.click(subcategory if len(subcategories) > 1 else category)
    assert sorted(items) == sorted(browser.execute_script("return Object.keys(results)"))

    # Every item says what it shows: a caption of real text, without unrendered markup.
    for path, caption in items.items():
        assert len(caption) > 80, f"{path}: caption too short: {caption!r}"
        # docutils puts "System Message" into the HTML when a caption's RST is broken
        assert "{{" not in caption and "System Message" not in caption, (path, caption)

    # Every figure of the run is in the report, every TSV item also as an HTML table.
    figures = sorted(
        str(p.relative_to(test_workflow_run.directory))
        for p in test_workflow_run.path("results").rglob("*.png")
    )
    assert sorted(p for p in items if p.endswith(".png")) == figures
    split = config["split"]["scheme"]
    for task in tasks:
        for name in ("confusion_matrix", "roc_curves", "pr_curves", "training_curves"):
            assert f"results/{split}/{task}/figures/{name}.png" in items
        assert f"results/{split}/{task}/metrics.html" in items
    for path in (p for p in items if p.endswith(".tsv")):
        assert path.removesuffix(".tsv") + ".html" in items, f"{path} has no HTML table"

    # A figure and the summary table really display.
    page.home()
    page.click(tasks[0])
    page.click("evaluation")
    confusion = next(
        i for i, row in enumerate(page.result_rows()) if "confusion matrix" in row.text
    )
    page.press(
        page.result_rows()[confusion].find_elements(page.by.CSS_SELECTOR, "td:last-child a")[0]
    )
    image = wait_for(lambda: browser.find_elements(page.by.CSS_SELECTOR, "#app img"), "figure")
    assert wait_for(
        lambda: browser.execute_script("return arguments[0].naturalWidth", image[-1]),
        "figure pixels",
    )
    page.home()
    page.click("summary")
    rows = wait_for(page.result_rows, "summary items")
    views = [r.find_elements(page.by.CSS_SELECTOR, "td:last-child a")[0] for r in rows]
    # the TSV's button is a data: download link, the HTML table's opens a view
    page.press(next(v for v in views if not v.get_attribute("href").startswith("data:")))
    frame = wait_for(lambda: browser.find_elements(page.by.TAG_NAME, "iframe"), "table frame")
    browser.save_screenshot(str(artifacts_dir() / "report-summary.png"))
    browser.switch_to.frame(frame[0])
    cells = [c.text for c in browser.find_elements(page.by.CSS_SELECTOR, "td")]
    browser.switch_to.default_content()
    assert cells.count("macro avg") == len(tasks) and cells.count("weighted avg") == len(tasks)

    assert severe_console_messages(browser) == []
    print(f"report walk: {len(items)} items in {time.monotonic() - started:.1f} s")
