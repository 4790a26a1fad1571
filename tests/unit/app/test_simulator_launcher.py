"""How the app starts the simulator: `washline simulate` becomes `python -m
washline_simulator` with the same flags, and `washline run` launches it beside the server
(with `--no-simulate` to skip it). The app never imports the simulator; these tests may."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest
from washline_simulator.config import SimConfig, add_arguments, from_namespace
from washline_simulator.scenario import DEFAULT_SCENARIO
from washline_simulator.scenario import SCENARIOS as SIMULATOR_SCENARIOS

from app.cli import _parser, run_simulator_command
from app.demo import WASHERS as DEMO_WASHERS
from app.simulator_launcher import (
    DEFAULT_SCENARIO as LAUNCHER_DEFAULT_SCENARIO,
)
from app.simulator_launcher import (
    SCENARIOS,
    local_base_url,
    simulator_command,
)
from tests.support.server import ROOT


def parse(*argv: str) -> SimConfig:
    parser = argparse.ArgumentParser(prog="simulate")
    add_arguments(parser)
    return from_namespace(parser.parse_args(argv), parser)


def test_the_washline_command_knows_simulate_and_no_simulate(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = _parser()
    assert parser.parse_args(["run"]).no_simulate is False
    assert parser.parse_args(["run", "--no-simulate"]).no_simulate is True
    assert parser.parse_args(["simulate"]).command == "simulate"
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "--help"])
    assert "--no-simulate" in capsys.readouterr().out


def test_run_points_the_simulator_at_the_server_it_starts() -> None:
    assert local_base_url("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert local_base_url("0.0.0.0", 8080) == "http://127.0.0.1:8080"
    assert local_base_url("::", 8000) == "http://[::1]:8000"
    command = simulator_command("http://127.0.0.1:8000")
    assert command[1:] == ["-m", "washline_simulator", "--base-url", "http://127.0.0.1:8000"]


def test_run_starts_the_chosen_scenario_and_drives_the_demo_washers() -> None:
    parser = _parser()
    assert parser.parse_args(["run"]).scenario == "calm"
    scenario = parser.parse_args(["run", "--scenario", "storm"]).scenario
    command = run_simulator_command("http://127.0.0.1:8000", scenario)
    config = parse(*command[3:])  # what the simulator makes of it
    assert (config.scenario, config.demo_washers) == ("storm", len(DEMO_WASHERS))
    assert config.base_url == "http://127.0.0.1:8000"
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "--scenario", "blizzard"])


def test_run_offers_exactly_the_simulators_scenarios() -> None:
    """`washline run --scenario` is checked before serving, against the app's copy of the
    names (it cannot import the simulator): the copy must be the simulator's list."""
    assert set(SCENARIOS) == set(SIMULATOR_SCENARIOS)
    assert LAUNCHER_DEFAULT_SCENARIO == DEFAULT_SCENARIO


def test_washline_simulate_hands_its_flags_to_the_simulator_process() -> None:
    """`washline simulate ...` is `python -m washline_simulator ...`: the simulator's own
    parser reads the flags (a bad one stops with its usage error and status 2)."""
    shown = subprocess.run(
        [sys.executable, "-m", "app.cli", "simulate", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert "--orders-per-minute" in shown.stdout and "--demo-washers" in shown.stdout
    refused = subprocess.run(
        [sys.executable, "-m", "app.cli", "simulate", "--washers", "many"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2
    assert "--washers: invalid int value" in refused.stderr
    assert parse("--washers", "2", "--duration", "5") == SimConfig(washers=2, duration=5)


def test_without_the_simulator_installed_simulate_says_so_and_run_serves_alone(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The server image leaves the simulator out: a clear word and status 2, not a
    traceback; `washline run` serves without it."""
    import app.simulator_launcher as launcher

    assert launcher.simulator_installed()  # `make` installs it here
    monkeypatch.setattr(launcher, "SIMULATOR_MODULE", "washline_simulator_absent")
    assert not launcher.simulator_installed()
    with pytest.raises(SystemExit) as stopped:
        launcher.become_simulator(["--help"])
    assert stopped.value.code == 2
    assert "not installed" in capsys.readouterr().err
    waiting = launcher.SimulatorLauncher("http://127.0.0.1:9")
    assert waiting.start() is False
    assert "serving without it" in capsys.readouterr().err
    assert waiting.stop() is None
