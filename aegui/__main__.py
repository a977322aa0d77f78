from aegui.cli import program

raise SystemExit(program())
