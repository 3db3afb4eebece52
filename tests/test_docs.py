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


def readme_snakemake_commands() -> list[str]:
    """Every snakemake command of the README's code blocks (fenced, or indented by four spaces),
    continuation lines joined, comments, pipes and redirections dropped."""
    text = (REPO_ROOT / "README.md").read_text().replace("\\\n", " ")
    commands, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        if not (fenced or line.startswith("    ")):
            continue
        for part in line.split(" #", 1)[0].split("&&"):
            command = part.split("|")[0].split(">")[0].strip()
            if command.startswith("snakemake "):
                commands.append(command)
    return commands


def test_readme_snakemake_commands_pass_targets_and_config_as_meant():
    # --config and --configfile take every word after them: a target written after them is
    # read as a config entry (and the command fails), so targets must come before them.
    import shlex  # noqa: PLC0415

    from snakemake.cli import get_argument_parser  # noqa: PLC0415

    parser = get_argument_parser()
    commands = readme_snakemake_commands()
    assert len(commands) >= 5, commands
    for command in commands:
        arguments = parser.parse_args(shlex.split(command)[1:])
        entries = arguments.config or []
        assert all("=" in entry for entry in entries), f"not key=value in --config: {command}"
        files = [str(path) for path in arguments.configfile or []]
        assert all(path.endswith((".yaml", ".yml")) for path in files), (
            f"not a config file after --configfile: {command}"
        )
