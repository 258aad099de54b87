"""The interactive `scaffolder new`: questionary prompts in front of the same pipeline.

    prompts.py     questionary, with Esc/Ctrl-C as one way out and inline validation
    questions.py   a template stack's questions, evaluated by copier, asked in order
    publishing.py  which GitHub accounts a token can publish to; visibility, publish now
    review.py      the review screen and the final summary, as lines (80 columns)
    session.py     the course: template, destination, questions, publishing, review

The wizard writes nothing before the review is confirmed. It returns the `NewRequest` that a
non-interactive run would build from flags, and the CLI runs the one pipeline
(`scaffolder.create.create`). Like the CLI, it is an edge: it is the only package besides
`scaffolder.cli` that talks to the terminal.
"""

from scaffolder.wizard.session import (
    Cancelled,
    WizardOptions,
    WizardResult,
    run_wizard,
    save_answers,
    undo_on_interrupt,
)

__all__ = [
    "Cancelled",
    "WizardOptions",
    "WizardResult",
    "run_wizard",
    "save_answers",
    "undo_on_interrupt",
]
