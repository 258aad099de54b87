from scaffolder.cli import run

run()
