"""The Dockerfile cannot be built here (no Docker on these machines): check what can be checked —
stages, user, healthcheck, and that its commands are the CLI's and the Makefile's."""

from __future__ import annotations

import re
import tomllib

import pytest

from finops.app import create_app
from finops.config import Settings
from tests.infra.conftest import ROOT, cli_accepts, dockerfile_instructions, exec_form

DOCKERFILE = ROOT / "Dockerfile"


@pytest.fixture(scope="module")
def instructions() -> list[tuple[str, str]]:
    return dockerfile_instructions(DOCKERFILE)


def final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    starts = [i for i, (word, _) in enumerate(instructions) if word == "FROM"]
    return instructions[starts[-1] :]


class TestStages:
    def test_multi_stage_runtime_copies_from_build(self, instructions: list[tuple[str, str]]) -> None:
        froms = [args for word, args in instructions if word == "FROM"]
        assert len(froms) >= 2
        assert any(" AS build" in f for f in froms)
        runtime = final_stage(instructions)
        assert any(word == "COPY" and args.startswith("--from=build") for word, args in runtime)
        # The runtime stage installs nothing itself: no compilers or pip in the final image's history.
        assert not any(word == "RUN" and "pip install" in args for word, args in runtime)

    def test_python_version_is_one_the_package_supports(self, instructions: list[tuple[str, str]]) -> None:
        image = next(
            args for word, args in instructions if word == "ARG" and args.startswith("PYTHON_IMAGE=")
        )
        major, minor = map(int, re.search(r"python:(\d+)\.(\d+)", image).groups())  # type: ignore[union-attr]
        requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
        low, high = re.findall(r"3\.(\d+)", requires)
        assert major == 3
        assert int(low) <= minor < int(high)

    def test_installs_with_the_lock_file_like_the_makefile(self, instructions: list[tuple[str, str]]) -> None:
        makefile = (ROOT / "Makefile").read_text()
        assert "-c requirements.lock" in makefile
        runs = [args for word, args in instructions if word == "RUN" and "pip install" in args]
        assert runs
        assert all("-c requirements.lock" in run for run in runs)
        copied = " ".join(args for word, args in instructions if word == "COPY")
        for needed in ("pyproject.toml", "requirements.lock", "src"):
            assert needed in copied


class TestRuntime:
    def test_runs_as_a_non_root_user(self, instructions: list[tuple[str, str]]) -> None:
        users = [args for word, args in final_stage(instructions) if word == "USER"]
        assert users
        user = users[-1].split(":")[0]
        assert user not in ("root", "0")
        assert int(user) >= 1000

    def test_healthcheck_probes_a_real_route(self, instructions: list[tuple[str, str]]) -> None:
        (check,) = [args for word, args in instructions if word == "HEALTHCHECK"]
        assert "CMD" in check
        path = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", check)
        assert path is not None
        port = next(args for word, args in instructions if word == "EXPOSE")
        assert path.group(1) == port
        app = create_app(Settings(env="test", jwt_secret="x" * 40))
        assert path.group(2) in app.openapi()["paths"]

    def test_cmd_is_the_cli_serve_command_on_the_exposed_port(
        self, instructions: list[tuple[str, str]]
    ) -> None:
        (cmd,) = [args for word, args in instructions if word == "CMD"]
        argv = exec_form(cmd)
        ok, output = cli_accepts(argv)
        assert ok, output
        assert argv[:2] == ["finops", "serve"]
        makefile = (ROOT / "Makefile").read_text()
        assert "$(BIN)/finops serve" in makefile  # `make run` serves with the same command
        port = next(args for word, args in instructions if word == "EXPOSE")
        assert argv[argv.index("--port") + 1] == port
        assert argv[argv.index("--host") + 1] == "0.0.0.0"

    def test_production_settings_are_real_settings(self, instructions: list[tuple[str, str]]) -> None:
        env = " ".join(args for word, args in final_stage(instructions) if word == "ENV")
        names = re.findall(r"FINOPS_([A-Z_]+)=", env)
        assert names
        for name in names:
            assert name.lower() in Settings.model_fields, name


class TestCliCheck:
    def test_unknown_options_are_refused(self) -> None:
        ok, _ = cli_accepts(["finops", "serve", "--no-such-option"])
        assert not ok
        ok, _ = cli_accepts(["finops", "no-such-command"])
        assert not ok
