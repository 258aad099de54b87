"""The wizard's side of `scaffolder new`: when it starts, and what it adds to the run.

`scaffolder/cli/new.py` stays a thin flags-to-request handler; these three calls are all it needs:

* `interactive(args)`: start the wizard? Only with a terminal on stdin *and* stdout, without
  `--no-input` and without `--json` (whose stdout is one JSON object, not a dialogue).
* `ask(args, out, given=, catalog=)`: run the wizard; it fills `args.template`, `args.output`
  and the publishing flags, and returns the answers and the `WizardResult`.
* `running(wizard)`: around `create()`: saves `--save-answers`, undoes this run on Ctrl-C.
* `after(wizard, out, save_answers=)`: the saved-answers file and the replay command.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scaffolder.cli.output import Output
from scaffolder.wizard.review import PublishPlan
from scaffolder.wizard.session import (
    WizardOptions,
    WizardResult,
    run_wizard,
    save_answers,
    undo_on_interrupt,
)


def interactive(args: argparse.Namespace) -> bool:
    if getattr(args, "no_input", False) or getattr(args, "json", False):
        return False
    return sys.stdin.isatty() and sys.stdout.isatty()


def ask(
    args: argparse.Namespace,
    out: Output,
    *,
    given: Mapping[str, Any],
    catalog: Path | None,
) -> WizardResult:
    """Run the wizard for `scaffolder new`; on return the review was confirmed."""
    from scaffolder.wizard.publishing import Discovery

    defaults_only = bool(args.defaults)
    given = dict(given)
    if getattr(args, "github_owner", None) and "github_owner" not in given:
        given["github_owner"] = args.github_owner  # `--github-owner` answers the question
    options = WizardOptions(
        template=args.template,
        output=args.output,
        given=given,
        catalog=catalog,
        dry_run=bool(args.dry_run),
        trust=bool(args.trust),
        defaults_only=defaults_only,
        save_answers=getattr(args, "save_answers", None),
        github_api_url=getattr(args, "github_api_url", None),
        # `--publish` (with `--private`/`--public`) settles what the wizard would ask.
        publish_now=True if getattr(args, "publish", False) else None,
        private=bool(getattr(args, "private", True)),
    )

    def echo(line: str) -> None:
        out.text(line)
        out.stdout.flush()

    # `--defaults` asks only what has no default: publishing stays with the flags.
    skip = Discovery(None, "not published (--defaults: pass --publish)")
    discovery = skip if defaults_only else None
    result = run_wizard(options, echo=echo, discovery=discovery)
    args.template = result.request.template
    args.output = result.request.output
    if result.publish is not None and result.publish.now:
        _set_publish_flags(args, result.publish)
    return result


def running(wizard: WizardResult | None) -> contextlib.AbstractContextManager[None]:
    """Around the pipeline: save the answers, and undo this run's files on Ctrl-C."""
    if wizard is None:
        return contextlib.nullcontext()
    return undo_on_interrupt(wizard, before=_save)


def _save(wizard: WizardResult) -> None:
    if wizard.saved_answers is not None and not wizard.request.dry_run:
        save_answers(wizard.saved_answers, wizard.answers, wizard.replay)


def _set_publish_flags(args: argparse.Namespace, plan: PublishPlan) -> None:
    """The same flags a non-interactive `new --publish` takes, so one code path publishes."""
    args.publish = True
    args.github_owner = plan.owner
    args.private = plan.private


def after(wizard: WizardResult | None, out: Output, *, save_answers: Path | None) -> None:
    """The summary's wizard lines: where the answers went and how to replay them."""
    if wizard is None:
        if save_answers is not None:
            out.warn(
                f"nothing saved to {save_answers}: --save-answers saves what the wizard asked, "
                "and no wizard ran (no terminal, --no-input or --json)"
            )
        return
    if out.json_mode:
        return
    # These follow report()'s "next:" commands, so they read as two more of them.
    if wizard.saved_answers is None:
        return
    if wizard.request.dry_run:
        out.text(f"  # dry run: the answers were not saved to {wizard.saved_answers}")
        return
    out.text(f"  # answers saved to {wizard.saved_answers} (no secrets); replay them in CI:")
    out.text(f"  {wizard.replay}")
