"""The interactive `scaffolder new`: a front end that asks, then returns `NewOptions`.

    prompts.py     questionary, with Esc/Ctrl-C as one way out and inline validation
    questions.py   a template stack's questions, evaluated by copier, asked in order
    publishing.py  which GitHub accounts a token can publish to; visibility, publish now
    policy.py      the access policy: only allowed templates, owners, visibilities, answers
    review.py      the review screen and the final summary, as lines (80 columns)
    session.py     the course: template, destination, questions, publishing, review

The wizard writes nothing before the review is confirmed. It returns the same
`scaffolder.commands.new.NewOptions` a non-interactive run builds from flags, and the CLI runs
the one command with them. Like the CLI, it is an edge: it is the only package besides
`scaffolder.cli` that talks to the terminal.
"""

from scaffolder.commands.new import write_answers_file as save_answers
from scaffolder.wizard.session import Cancelled, WizardOptions, WizardResult, run_wizard

__all__ = ["Cancelled", "WizardOptions", "WizardResult", "run_wizard", "save_answers"]
