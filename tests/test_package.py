"""The built wheel runs as a checkout does: it carries the templates, both catalogs, the chat
page and the migrations' template, and installs the `jinro` command (pyproject.toml).

The wheel is built from a copy of the sources (a build writes build/ and *.egg-info beside
them) and installed with its code only; the libraries it needs are this environment's, put on
the path after it, and the test checks that the code and files come from the wheel, never
from the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP = shutil.ignore_patterns(
    ".git", ".venv", "data", "__pycache__", "*.egg-info", "build", ".*_cache", ".hypothesis"
)

# Run by the wheel's own code: a template in both languages, the catalogs, the chat page
# served by a sandbox started from it, and where each came from.
CHILD = """
import asyncio, sys
from pathlib import Path

import aiohttp
import bot, messages, sandbox, storage
from messages import render
from sandbox.server import start_sandbox
from bot.settings import DEFAULT_DATABASE_URL
from storage.migrate import MIGRATIONS

target = Path(sys.argv[1])
# Installed, data/ is the working folder's, never site-packages'.
here = Path.cwd() / "data" / "jinro.sqlite3"
assert DEFAULT_DATABASE_URL.endswith(str(here)), DEFAULT_DATABASE_URL
for package in (bot, messages, sandbox, storage):
    assert Path(package.__file__).is_relative_to(target), package.__file__
assert (MIGRATIONS / "script.py.mako").is_file()
print(render("onboarding/welcome", "ko", unknown_link=False))
print(render("onboarding/welcome", "en", unknown_link=False))


async def page() -> str:
    running = await start_sandbox()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(running.url + "/") as response:
                assert response.status == 200
                return await response.text()
    finally:
        await running.stop()

print(asyncio.run(page()))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    sources = tmp_path_factory.mktemp("sources") / "jinro"
    shutil.copytree(ROOT, sources, ignore=SKIP)
    out = tmp_path_factory.mktemp("wheel")
    # pip fetches the build backend (setuptools, pyproject.toml) from the package index, as
    # `make install` fetches everything.
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet"]
    subprocess.run([*build, "-w", str(out), str(sources)], check=True)
    return next(out.glob("jinro-*.whl"))


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet"]
    subprocess.run([*install, "--target", str(target), str(wheel)], check=True)
    return target


def run_installed(target: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Python with the wheel's code first on the path, then this environment's libraries."""
    libraries = sysconfig.get_paths()["purelib"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), libraries])}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_wheel_carries_what_the_bot_reads_from_disk(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {str(p.relative_to(ROOT)) for p in (ROOT / "messages").rglob("*.j2")}
    assert templates and templates <= names
    for carried in (
        "messages/locales/ko/LC_MESSAGES/messages.po",
        "messages/locales/en/LC_MESSAGES/messages.po",
        "sandbox/static/chat.html",
        "storage/migrations/script.py.mako",
    ):
        assert carried in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "jinro = bot.__main__:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_installed_wheel_renders_and_serves_the_chat_page(installed, tmp_path):
    done = run_installed(installed, "-c", CHILD, str(installed), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "어떤 분이신가요?" in done.stdout and "Who are you?" in done.stdout
    assert "진로 봇 체험" in done.stdout  # the sandbox's chat page, from the wheel


def test_the_jinro_command_is_python_m_bot(installed, tmp_path):
    command = installed / "bin" / "jinro"
    assert command.is_file()
    done = run_installed(installed, str(command), "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: jinro ")
    for subcommand in ("run", "migrate", "demo", "import"):
        assert subcommand in done.stdout
