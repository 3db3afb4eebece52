"""docs/architecture.md stays true: its rule graph is the workflow's."""

from __future__ import annotations

import re
from pathlib import Path

from workflow_runner import WorkflowCopy

REPO_ROOT = Path(__file__).resolve().parents[1]


def graph_lines(text: str) -> list[str]:
    """Nodes and edges of a mermaid flowchart, without styles."""
    return [line.strip() for line in text.splitlines() if re.match(r"\s*id\d+(\[| -->)", line)]


def mermaid_block(markdown: str) -> str:
    match = re.search(r"```mermaid\n(.*?)```", markdown, flags=re.DOTALL)
    assert match, "docs/architecture.md has no mermaid block"
    return match.group(1)


def test_architecture_shows_the_rule_graph(tmp_path: Path):
    workflow = WorkflowCopy(tmp_path)
    result = workflow.run("--rulegraph", "mermaid-js", "--quiet", "all")
    actual = graph_lines(result.stdout)
    assert actual, result.stdout[-2000:]
    documented = graph_lines(mermaid_block((REPO_ROOT / "docs/architecture.md").read_text()))
    assert sorted(documented) == sorted(actual), (
        "docs/architecture.md's rule graph is out of date; paste the node and edge lines of "
        "`snakemake --rulegraph mermaid-js` into its mermaid block:\n" + "\n".join(actual)
    )
