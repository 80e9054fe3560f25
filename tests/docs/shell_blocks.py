"""The runnable ```sh blocks of a Markdown file, and one bash script that runs them in order.

    blocks = runnable_blocks(Path("docs/walkthrough.md").read_text(), run_by_default=True)
    script = session_script(blocks, {"http://127.0.0.1:8000": server.base_url})

Which blocks run:

- in a page that is runnable as a whole (docs/walkthrough.md), every ```sh
  block, except one whose first line is `# not run` (starting the server,
  which the test does itself), maybe followed by a reason;
- in a page that is mostly prose (README.md), only a ```sh block whose
  first line is `# run` (or `# run ...`): its other blocks (installing,
  serving, production commands) are examples, not steps. `# not run` wins.

The script runs every block in one bash session, so a variable set by one
block (a token, an id) is there for the next, as in a reader's terminal.
`set -e -o pipefail` makes a failing command (`curl -sf` on a 4xx, a false
`test`) end the session; the block's number is then the last one started.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A fenced block whose info string is exactly `sh`; the closing fence on its own line.
_SH_FENCE = re.compile(r"^```sh[ \t]*\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)

OPT_OUT = "# not run"
OPT_IN = "# run"

# Lines the script prints around each block; the test reads them back.
START_MARK = "::block-start {number}"
OK_MARK = "::block-ok {number}"
_OK_LINE = re.compile(r"^::block-ok (\d+)$", re.MULTILINE)
_START_LINE = re.compile(r"^::block-start (\d+)$", re.MULTILINE)


@dataclass(frozen=True)
class ShellBlock:
    number: int  # 1-based, among the runnable blocks of the session
    source: str  # where it came from, e.g. "docs/walkthrough.md, block 4"
    text: str


def sh_blocks(markdown: str) -> list[str]:
    """The body of every ```sh block, in the order of the page."""
    return [match["body"] for match in _SH_FENCE.finditer(markdown)]


def _first_line(block: str) -> str:
    return block.lstrip("\n").split("\n", 1)[0].strip()


def _is_marker(line: str, marker: str) -> bool:
    """`# not run`, alone or followed by a reason: `# not run (the test starts the server)`."""
    return line == marker or line.startswith(marker + " ")


def runnable_blocks(markdown: str, *, run_by_default: bool) -> list[str]:
    """The blocks a session runs, by the opt-out / opt-in rules above."""
    chosen = []
    for block in sh_blocks(markdown):
        first = _first_line(block)
        if _is_marker(first, OPT_OUT):
            continue
        if run_by_default or _is_marker(first, OPT_IN):
            chosen.append(block)
    return chosen


def number_blocks(pages: list[tuple[str, list[str]]]) -> list[ShellBlock]:
    """Number the blocks of several pages as one session: (page name, its blocks)."""
    numbered: list[ShellBlock] = []
    for page, blocks in pages:
        for index, text in enumerate(blocks, start=1):
            numbered.append(ShellBlock(len(numbered) + 1, f"{page}, runnable block {index}", text))
    return numbered


def session_script(blocks: list[ShellBlock], replacements: dict[str, str]) -> str:
    """One bash script running `blocks` in order, with each `replacements` key swapped.

    The replacements point the page's fixed addresses (http://127.0.0.1:8000,
    the mail folder) at the test's server and folder.
    """
    lines = ["set -e -o pipefail"]
    for block in blocks:
        text = block.text
        for old, new in replacements.items():
            text = text.replace(old, new)
        # printf's leading newline: a block's last output may not end its line.
        lines += [f"printf '\\n{START_MARK.format(number=block.number)}\\n'",
                  text.rstrip("\n"),
                  f"printf '\\n{OK_MARK.format(number=block.number)}\\n'"]
    return "\n".join(lines) + "\n"


def blocks_passed(output: str) -> set[int]:
    """The numbers of the blocks the session finished."""
    return {int(number) for number in _OK_LINE.findall(output)}


def silent_blocks(output: str) -> list[int]:
    """The finished blocks that printed nothing: a reader would not see what they checked."""
    silent = []
    for number in sorted(blocks_passed(output)):
        start = output.index(START_MARK.format(number=number) + "\n")
        end = output.index(OK_MARK.format(number=number), start)
        body = output[start + len(START_MARK.format(number=number)) + 1:end]
        if not body.strip():
            silent.append(number)
    return silent


def last_block_started(output: str) -> int | None:
    numbers = [int(number) for number in _START_LINE.findall(output)]
    return numbers[-1] if numbers else None
