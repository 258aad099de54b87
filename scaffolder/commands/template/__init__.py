"""`scaffolder template init|lint|test`: what a template author needs, end to end.

- `init` (init.py) writes a new template that keeps scaffolder's contract and passes `lint` and
  `test` as it is: the standard questions, `_scaffolder` metadata, `_subdirectory: template`,
  the answers-file template, a minimal project for a language of the language table (or a
  language description to fill in), a `tests/` folder and a README for authors.
- `lint` (lint.py) checks the contract without rendering by hand: `contract.py` reads
  `copier.yml` with line numbers (`config.py`) and says what breaks it; then `matrix.py`
  renders the template with sample answers through `scaffolder new`'s own steps, in temporary
  folders, and audits every result.
- `test` (testrun.py) is lint's render matrix plus each rendered project's own tests: the
  language table's CI install and test steps (`projectrun.py`).

Every finding names a file and, where there is one, a line (`findings.py`).
"""
