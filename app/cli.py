"""The `washline` command: run the demo, serve, migrate, manage users."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping, Sequence

from app.settings import Settings, SettingsError


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        print(f"washline: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def serve(settings: Settings, host: str, port: int) -> None:
    from app.server import serve as serve_with_drain

    serve_with_drain(settings, host, port)


def db_upgrade(settings: Settings) -> None:
    from persistence.migrate import upgrade

    upgrade(settings.database_url)


async def _load_demo(settings: Settings) -> None:
    from app.demo import load_demo_data
    from app.lifecycle import Runtime

    runtime = Runtime(settings)
    try:
        summary = await load_demo_data(runtime.session_factory, settings)
    finally:
        await runtime.close()
    state = "loaded" if summary.created else "already present"
    print(f"demo data {state}; admin login: {summary.admin_email} / {summary.admin_password}")


async def _purge(settings: Settings) -> None:
    from app.lifecycle import Runtime
    from app.workers.retention import RetentionPurge, retention_policy
    from persistence.database import is_sqlite

    runtime = Runtime(settings)
    try:
        purge = RetentionPurge(
            runtime.session_factory,
            retention_policy(settings),
            uses_advisory_lock=not is_sqlite(settings.database_url),
        )
        purged = await purge.purge()
    finally:
        await runtime.close()
    print(", ".join(f"{kind}: {count}" for kind, count in purged.items()) or "nothing to purge")


async def _create_user(settings: Settings, args: argparse.Namespace) -> None:
    from app.lifecycle import Runtime
    from app.services.accounts import create_user
    from domain.roles import Role

    runtime = Runtime(settings)
    try:
        async with runtime.session_factory() as session:
            user = await create_user(
                session,
                settings,
                email=args.email,
                password=args.password,
                full_name=args.name,
                role=Role(args.role),
            )
        print(f"created {user.role} {user.email} (id {user.id})")
    finally:
        await runtime.close()


def settings_table(documentation: Sequence[tuple[str, str, str]]) -> list[str]:
    """`washline settings`: one line per setting, the meanings in one column as far right as
    the longest `NAME=default` needs (a fixed width misaligns on long defaults)."""
    rows = [(f"{name}={default}", doc) for name, default, doc in documentation]
    width = max((len(left) for left, _ in rows), default=0)
    return [f"{left:<{width}}  {doc}" for left, doc in rows]


DEMO_LOGIN_RATE_LIMIT_PER_MINUTE = 600
"""`washline run`'s login limit while it runs the simulator, unless the variable is set: the
whole simulated city logs in from this machine's address, and at the production default (20 a
minute) it would use up the limit for two minutes, locking the admin out of the dashboard."""


def demo_overrides(environment: Mapping[str, str], simulate: bool) -> dict[str, str]:
    """Settings `washline run` changes for the demo (only those the user left unset)."""
    if simulate and "AUTH_RATE_LIMIT_PER_MINUTE" not in environment:
        return {"AUTH_RATE_LIMIT_PER_MINUTE": str(DEMO_LOGIN_RATE_LIMIT_PER_MINUTE)}
    return {}


def run_simulator_command(base_url: str, scenario: str) -> list[str]:
    """The simulator `washline run` starts: the chosen scenario, and the demo's washers
    driven too (when the database has them), so the demo orders assigned to them get worked
    and no demo washer sits on the map without a signal."""
    from app.demo import WASHERS
    from app.simulator_launcher import simulator_command

    return simulator_command(base_url, "--scenario", scenario, "--demo-washers", str(len(WASHERS)))


def _run(settings: Settings, args: argparse.Namespace) -> None:
    """Migrate, load the demo, serve; with the city simulator beside it unless told not to."""
    from app.simulator_launcher import SimulatorLauncher, local_base_url

    overrides = demo_overrides(os.environ, simulate=not args.no_simulate)
    for name, value in overrides.items():
        print(f"demo: {name}={value} (the simulator logs its city in from this address)")
    os.environ.update(overrides)  # the server builds its settings from the environment
    db_upgrade(settings)
    if not args.no_demo:
        asyncio.run(_load_demo(settings))
    print(f"serving on http://{args.host}:{args.port} (API docs at /schema)", flush=True)
    launcher = None
    if not args.no_simulate:
        url = local_base_url(args.host, args.port)
        launcher = SimulatorLauncher(url, run_simulator_command(url, args.scenario))
        if launcher.start():
            print(
                "the city simulator starts once the server is ready (--no-simulate: off)",
                flush=True,
            )
    try:
        serve(settings, args.host, args.port)
    finally:
        if launcher is not None:
            launcher.stop()


def _parser() -> argparse.ArgumentParser:
    from app.simulator_launcher import DEFAULT_SCENARIO, SCENARIOS

    parser = argparse.ArgumentParser(prog="washline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run",
        help="migrate, load demo data, serve on 127.0.0.1:8000 and run the city simulator",
        description="Migrate, load demo data, serve, and once the server is ready start "
        "`washline simulate` against it (simulated washers and customers using the public "
        "API) as a child process that stops with the server.",
    )
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--no-demo", action="store_true", help="do not load demo data")
    run.add_argument(
        "--no-simulate",
        action="store_true",
        help="do not start the city simulator (simulated washers and customers)",
    )
    run.add_argument(
        "--scenario",
        choices=SCENARIOS,
        default=DEFAULT_SCENARIO,
        help="the simulated city's day (`washline simulate --help` describes each)",
    )
    commands.add_parser(
        "simulate",
        add_help=False,  # its flags and --help are the simulator's own
        help="drive simulated washers and customers against a running server "
        "(`washline simulate --help` lists its flags)",
    )
    srv = commands.add_parser("serve", help="serve the app (production entry point)")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=8000)
    db = commands.add_parser("db", help="schema migrations")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="migrate to the newest schema (idempotent)")
    down = db_commands.add_parser("downgrade", help="migrate down to a revision")
    down.add_argument("revision")
    db_commands.add_parser("current", help="show the database's revision")
    users = commands.add_parser("users", help="manage users")
    user_commands = users.add_subparsers(dest="users_command", required=True)
    create = user_commands.add_parser("create", help="create a user of any role")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=["customer", "washer", "admin"])
    commands.add_parser("demo", help="load demo data into an empty database")
    commands.add_parser(
        "purge", help="delete or blank personal data past its retention period, now (RETENTION_*)"
    )
    commands.add_parser("settings", help="list every setting with its default")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["simulate"]:
        # A client of the server, in its own package: it needs none of the server's settings.
        from app.simulator_launcher import become_simulator

        become_simulator(arguments[1:])
    args = _parser().parse_args(arguments)
    if args.command == "settings":
        print("\n".join(settings_table(Settings.documentation())))
        return
    settings = _settings()
    if args.command == "run":
        _run(settings, args)
    elif args.command == "serve":
        serve(settings, args.host, args.port)
    elif args.command == "db":
        from persistence import migrate

        if args.db_command == "upgrade":
            migrate.upgrade(settings.database_url)
        elif args.db_command == "downgrade":
            migrate.downgrade(settings.database_url, args.revision)
        else:
            migrate.current(settings.database_url)
    elif args.command == "users":
        asyncio.run(_create_user(settings, args))
    elif args.command == "demo":
        asyncio.run(_load_demo(settings))
    elif args.command == "purge":
        asyncio.run(_purge(settings))


if __name__ == "__main__":
    main()
