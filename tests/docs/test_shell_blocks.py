"""Which ```sh blocks of a page the walkthrough test runs, and how it reports them."""

from __future__ import annotations

import subprocess

from tests.docs.shell_blocks import (
    blocks_passed,
    last_block_started,
    number_blocks,
    runnable_blocks,
    session_script,
    silent_blocks,
)

PAGE = """\
Intro.

```sh
# not run (starts a server)
python3 dev.py serve
```

```sh
# run
echo opted-in
```

```python
print("not shell")
```

```sh
echo plain
```
"""


def test_a_walkthrough_page_runs_every_sh_block_except_the_opted_out():
    assert runnable_blocks(PAGE, run_by_default=True) == ["# run\necho opted-in\n", "echo plain\n"]


def test_a_prose_page_runs_only_the_blocks_that_opt_in():
    assert runnable_blocks(PAGE, run_by_default=False) == ["# run\necho opted-in\n"]


def test_one_session_keeps_variables_and_stops_at_the_first_failing_block():
    blocks = number_blocks([("page", [
        "TOKEN=abc\n",
        'test "$TOKEN" = abc\nprintf no-newline\n',
        "false\necho never\n",
        "echo never-either\n",
    ])])
    script = session_script(blocks, {})
    result = subprocess.run(["bash", "--noprofile", "--norc"], input=script,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert blocks_passed(result.stdout) == {1, 2}
    assert last_block_started(result.stdout) == 3
    assert "never" not in result.stdout


def test_replacements_point_the_page_at_the_test_server():
    blocks = number_blocks([("page", ["curl http://127.0.0.1:8000/health\n"])])
    script = session_script(blocks, {"http://127.0.0.1:8000": "http://127.0.0.1:40123"})
    assert "curl http://127.0.0.1:40123/health" in script
    assert "8000" not in script


def test_a_block_that_prints_nothing_is_found() -> None:
    blocks = number_blocks([("page.md", ["echo checked", "true", "echo also"])])
    result = subprocess.run(["bash", "--noprofile", "--norc"], input=session_script(blocks, {}),
                            capture_output=True, text=True, timeout=30)
    assert silent_blocks(result.stdout) == [2]
