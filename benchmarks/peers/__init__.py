"""What benchmarks/scaffold.py needs to run scaffolder's peers (cookiecutter, cruft)."""
