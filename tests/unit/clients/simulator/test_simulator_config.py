"""`washline simulate` (`python -m washline_simulator`) options: names, defaults, limits."""

from __future__ import annotations

import argparse

import pytest
from washline_simulator.config import SimConfig, add_arguments, from_namespace
from washline_simulator.geo import Area


def parse(*argv: str) -> SimConfig:
    parser = argparse.ArgumentParser(prog="simulate")
    add_arguments(parser)
    return from_namespace(parser.parse_args(argv), parser)


def test_defaults_are_the_documented_ones() -> None:
    config = parse()
    assert config == SimConfig()
    assert (config.base_url, config.washers, config.customers, config.seed) == (
        "http://127.0.0.1:8000",
        12,
        30,
        1,
    )
    # No fixed rate: the city derives its steady demand from its washers (see the model tests).
    assert (config.orders_per_minute, config.speed_mps, config.wash_seconds) == (None, 14, 40)
    assert (config.scenario, config.demo_washers) == ("calm", 0)
    assert config.duration == 0
    assert (config.admin_email, config.admin_password) == (
        "admin@washline.test",
        "washline-admin",
    )
    assert config.area is None


def test_every_flag_reaches_the_config() -> None:
    config = parse(
        "--base-url", "https://sim.example:9000/",
        "--washers", "3",
        "--customers", "4",
        "--seed", "7",
        "--orders-per-minute", "60",
        "--speed-mps", "25.5",
        "--wash-seconds", "2",
        "--duration", "25",
        "--admin-email", "boss@example.test",
        "--admin-password", "s3cret-pass",
        "--area", "30.25,-97.76,30.26,-97.75",
        "--scenario", "storm",
        "--demo-washers", "5",
    )  # fmt: skip
    assert config.base_url == "https://sim.example:9000/"
    assert config.ws_url == "wss://sim.example:9000/ws"
    assert (config.washers, config.customers, config.seed) == (3, 4, 7)
    assert (config.orders_per_minute, config.speed_mps) == (60.0, 25.5)
    assert (config.wash_seconds, config.duration) == (2.0, 25.0)
    assert (config.admin_email, config.admin_password) == ("boss@example.test", "s3cret-pass")
    assert config.area == Area(30.25, -97.76, 30.26, -97.75)
    assert (config.scenario, config.demo_washers) == ("storm", 5)


@pytest.mark.parametrize(
    "argv",
    [
        ("--speed-mps", "0"),
        ("--speed-mps", "65"),  # the server refuses fixes above 70 m/s: no margin left
        ("--speed-mps", "nan"),
        ("--washers", "-1"),
        ("--orders-per-minute", "-2"),
        ("--scenario", "blizzard"),
        ("--demo-washers", "-1"),
        ("--duration", "-5"),
        ("--wash-seconds", "-1"),
        ("--base-url", "127.0.0.1:8000"),
        ("--area", "30.3,-97.7,30.2,-97.8"),
        ("--washers", "many"),
    ],
)
def test_impossible_options_stop_with_a_usage_error(
    argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse(*argv)
    assert stopped.value.code == 2
    assert "error:" in capsys.readouterr().err
