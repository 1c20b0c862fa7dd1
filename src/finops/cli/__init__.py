"""The `finops` command line: one module per command group."""

from __future__ import annotations

import typer

from finops.cli import db, demo, openapi, pricing, reconcile, serve, token

app = typer.Typer(no_args_is_help=True, help="finops: FinOps for AI inference.")
app.command("serve")(serve.serve)
app.add_typer(db.app, name="db")
app.command("token")(token.token)
app.command("demo")(demo.demo)
app.command("reconcile")(reconcile.reconcile)
app.command("openapi")(openapi.openapi)
app.add_typer(pricing.app, name="pricing")


def main() -> None:
    app()
