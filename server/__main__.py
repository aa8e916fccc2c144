"""`python -m server` (or `ella-server`): serve, migrate, create-admin, seed-demo, sweep."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import os
import sys

from server.config import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ella-server", description="The EllaAI API server")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes (each with its own database pool); keep 1 on SQLite, whose one "
        "write lock several processes would only queue on",
    )
    serve.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="log a line per request (off under load: it costs a tenth of a small request)",
    )
    commands.add_parser("migrate", help="apply database migrations and exit")
    admin = commands.add_parser("create-admin", help="create a system administrator")
    admin.add_argument("--email", default=os.environ.get("ELLA_ADMIN_EMAIL"))
    admin.add_argument("--password", default=os.environ.get("ELLA_ADMIN_PASSWORD"))
    seed = commands.add_parser(
        "seed-demo", help="add a demo company, recruiter, questions, assessment and candidate"
    )
    seed.add_argument("--json", action="store_true", help="print what was seeded as JSON")
    sweep = commands.add_parser(
        "sweep", help="send due reminders and complete attempts whose time ran out"
    )
    sweep.add_argument("--every", type=float, default=None, help="repeat every N seconds")
    args = parser.parse_args(argv)

    if args.command == "serve":
        import uvicorn

        settings = Settings()
        print(
            f"EllaAI API on http://{args.host}:{args.port} "
            f"(docs: http://{args.host}:{args.port}/docs, database: "
            f"{settings.resolved_database_url})",
            flush=True,
        )
        uvicorn.run(
            "server.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level="info",
            access_log=args.access_log,
        )
        return 0

    from server.app import create_app

    app = create_app(Settings())
    if args.command == "migrate":
        print("database is up to date")
        return 0
    if args.command == "create-admin":
        from server.bootstrap import ensure_admin
        from server.db import transaction

        email = args.email or input("Administrator email: ")
        password = args.password or getpass.getpass("Password: ")
        if len(password) < 10:
            print("password must be at least 10 characters", file=sys.stderr)
            return 2
        context = app.state.context
        with transaction(context.sessions) as db:
            created = ensure_admin(db, context.passwords, email=email, password=password)
        print(f"administrator {email} {'created' if created else 'already exists'}")
        return 0
    if args.command == "seed-demo":
        from server.demo import seed_demo

        demo = seed_demo(app.state.context)
        if args.json:
            print(json.dumps(dataclasses.asdict(demo)))
            return 0
        print(
            f"recruiter: {demo.recruiter_email} / {demo.recruiter_password}\n"
            f"company: {demo.company_id}\n"
            f"assessment: {demo.assessment_id}\n"
            f"candidate: {demo.candidate_id}\n"
            f"invite token: {demo.invite_token}"
        )
        return 0
    if args.command == "sweep":
        import time

        from server.sweep import sweep as run_sweep

        while True:
            report = run_sweep(app.state.context)
            print(
                f"reminders sent: {report.reminders_sent}, "
                f"attempts expired: {report.attempts_expired}, "
                f"answers graded: {report.answers_graded}",
                flush=True,
            )
            if args.every is None:
                return 0
            time.sleep(args.every)
    return 2


if __name__ == "__main__":
    sys.exit(main())
