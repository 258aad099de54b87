"""The wizard's course: template, destination, questions, where to publish, review.

It writes nothing until the person confirms the review; what it returns is the same
`NewOptions` a non-interactive `scaffolder new` builds from its flags, so one command runs
either way. Cancelling (the review's "Cancel", Esc or Ctrl-C) raises `KeyboardInterrupt`:
exit 130, nothing on disk. Ctrl-C once the scaffold runs is the step runner's: it undoes what
the run wrote.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scaffolder.access.model import Visibility
from scaffolder.commands.new import NewOptions, SavedAnswers
from scaffolder.errors import UsageError
from scaffolder.render import layers
from scaffolder.render.registry import (
    BASELINE_LAYER,
    TemplateInfo,
    builtin_templates,
    resolve_template,
)
from scaffolder.render.sources import allows_unsafe, configured_templates
from scaffolder.wizard.policy import Guard, load_guard
from scaffolder.wizard.prompts import Option, Prompter
from scaffolder.wizard.publishing import Discovery, GitHubAccounts, ask_publish, discover
from scaffolder.wizard.questions import NOT_ON_GITHUB, QuestionFlow, open_entries
from scaffolder.wizard.review import PublishPlan, Shown, protection_text, review_lines

#: Baseline answers `publish` brings in line with what GitHub offers (publish/align.py).
PUBLISH_ALIGNS = frozenset({"github_host", "code_security", "review_mode", "admin_bypass"})


class Cancelled(KeyboardInterrupt):
    """The person chose "Cancel" on the review screen."""


@dataclass(frozen=True)
class WizardOptions:
    """What the command line already settled; the wizard asks for the rest."""

    template: str | None
    output: Path | None
    given: Mapping[str, Any]
    catalog: Path | None
    dry_run: bool = False
    trust: bool = False
    #: `--vcs-ref`: a git template's tag, branch or commit.
    vcs_ref: str | None = None
    #: `--defaults`: accept every valid default, ask only the rest, skip the review.
    defaults_only: bool = False
    save_answers: Path | None = None
    github_api_url: str | None = None
    #: `--policy`: the access policy in force; None: `$SCAFFOLDER_POLICY` or the configuration's.
    policy: str | None = None
    #: Set by `--publish`: publish now, with this visibility, without asking.
    publish_now: bool | None = None
    private: bool = True


@dataclass(frozen=True)
class WizardResult:
    #: What to run: the same options `scaffolder new` builds from its flags.
    options: NewOptions
    publish: PublishPlan | None
    saved_answers: Path | None
    #: The command that replays this scaffold without a terminal (when answers were saved).
    replay: str | None
    answers: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class _Course:
    """The choices so far; the review can send the person back to any of them."""

    info: TemplateInfo
    template_ref: str
    dst: Path
    values: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, Any] = field(default_factory=dict)
    publish: PublishPlan | None = None
    #: The answers to save for a replay: no secrets.
    recorded: dict[str, Any] = field(default_factory=dict)


def run_wizard(
    options: WizardOptions,
    *,
    prompter: Prompter | None = None,
    echo: Callable[[str], None] = print,
    discovery: Discovery | None = None,
) -> WizardResult:
    """Ask everything that is missing, show the review, return the request to run."""
    prompter = prompter or Prompter()
    # Before anything is asked: a broken policy or a refused identity ends the wizard here.
    visibility: Visibility | None = None
    if options.publish_now:
        visibility = "private" if options.private else "public"
    guard = load_guard(
        options.policy, api_url=options.github_api_url, echo=echo, visibility=visibility
    )
    if not options.defaults_only:
        echo("New service. Esc or Ctrl-C cancels; nothing is written until you confirm.")
    info, ref = _pick_template(options, prompter, guard=guard)
    if guard is not None and options.template:
        guard.check_template(info, trust=options.trust, echo=echo)
    stack = layers.build_stack(info, trust=allows_unsafe(info, trust=options.trust))
    _check_given(stack, options.given)
    dst = options.output.expanduser().absolute() if options.output else _ask_destination(prompter)
    if discovery is None:
        discovery = discover(options.github_api_url, note=echo)
    if guard is not None:
        discovery = guard.restrict(discovery)
    course = _Course(info=stack.template, template_ref=ref, dst=dst)
    while True:
        action = _one_pass(course, stack, options, prompter, echo, discovery, guard)
        if action == "create":
            break
        if action == "template":
            info, ref = _pick_template(
                replace(options, template=None), prompter, current=course.info.name, guard=guard
            )
            stack = layers.build_stack(info, trust=allows_unsafe(info, trust=options.trust))
            course.info, course.template_ref = stack.template, ref
        elif action == "destination":
            course.dst = _ask_destination(prompter, current=course.dst)
    publish = course.publish if course.publish is not None and course.publish.now else None
    new_options = NewOptions(
        template=course.template_ref,
        output=course.dst,
        given=dict(course.values),
        catalog=options.catalog,
        dry_run=options.dry_run,
        trust=options.trust,
        vcs_ref=options.vcs_ref if course.template_ref == options.template else None,
        publish=publish is not None,
        github_owner=publish.owner if publish else None,
        private=publish.private if publish else options.private,
        github_api_url=options.github_api_url,
    )
    saved = None
    replay = None
    if options.save_answers:
        saved = options.save_answers.expanduser().absolute()
        replay = replay_command(new_options, saved)
        new_options = replace(
            new_options, saved_answers=SavedAnswers(saved, dict(course.recorded), replay)
        )
    return WizardResult(new_options, course.publish, saved, replay, dict(course.recorded))


def _one_pass(
    course: _Course,
    stack: layers.Stack,
    options: WizardOptions,
    prompter: Prompter,
    echo: Callable[[str], None],
    discovery: Discovery,
    guard: Guard | None = None,
) -> str:
    """Ask the questions, then review; returns "create", "template" or "destination"."""
    accounts = discovery.accounts
    with open_entries(stack, course.dst) as entries:
        flow = QuestionFlow(
            entries,
            context=stack.context,
            given=options.given,
            prompter=prompter,
            echo=echo,
            defaults_only=options.defaults_only,
            owner_options=accounts.owners if accounts else (),
            policy_check=guard.problem if guard else None,
        )
        known = {e.spec.name for e in entries}
        flow.values = {k: v for k, v in course.values.items() if k in known}
        flow.origin = {k: v for k, v in course.origin.items() if k in known}
        flow.walk()
        publishing = _Publishing(prompter, accounts, options, echo, guard)
        publishing.ask(course, flow)
        while True:
            if guard is not None:
                guard.final(flow.values)
            course.values = flow.answers()
            course.origin = {k: flow.origin[k] for k in course.values}
            course.recorded = flow.recorded()
            if options.defaults_only:
                return "create"
            _show_review(course, flow, stack, options, discovery, echo)
            choice = prompter.select(
                "Next step",
                [
                    Option("Create it", "create"),
                    Option("Change an answer", "change"),
                    Option("Cancel (nothing is written)", "cancel"),
                ],
                default="create",
            )
            if choice == "create":
                return "create"
            if choice == "cancel":
                echo("Cancelled: nothing was written.")
                raise Cancelled
            target = _pick_change(flow, course, prompter, accounts)
            if target in ("template", "destination"):
                return target
            if target == "publish":
                publishing.ask(course, flow, force=True)
            elif target:
                flow.ask_one(target)
                publishing.ask(course, flow)


@dataclass(frozen=True)
class _Publishing:
    """With a usable token: where to publish, its visibility, and whether now."""

    prompter: Prompter
    accounts: GitHubAccounts | None
    preset: WizardOptions
    echo: Callable[[str], None]
    guard: Guard | None

    def ask(self, course: _Course, flow: QuestionFlow, *, force: bool = False) -> None:
        """The owner is the `github_owner` answer (a pick from the token's accounts); a template
        without the baseline has no such question, so it is asked here. What was chosen is kept
        across passes; `force` (from the review) asks again."""
        accounts, prompter, preset = self.accounts, self.prompter, self.preset
        if accounts is None:
            return
        name = str(flow.values.get("name", ""))
        if "github_owner" in flow.values:
            owner = str(flow.values["github_owner"] or "")
        elif course.publish is not None and not force:
            owner = course.publish.owner
        else:
            owner = prompter.select(
                "GitHub owner of the repository",
                [*(Option(o, o) for o in accounts.owners), Option(NOT_ON_GITHUB, "")],
                default=course.publish.owner if course.publish else accounts.login,
            )
        if not owner:
            course.publish = None
        elif course.publish is None and preset.publish_now is not None:
            url = accounts.repository_url(owner, name)
            course.publish = PublishPlan(owner, preset.private, preset.publish_now, url)
        elif course.publish is None or force:
            course.publish = ask_publish(
                prompter,
                accounts,
                owner=owner,
                name=name,
                current=course.publish,
                private_choices=self.guard.private_choices if self.guard else (True, False),
                note=self.echo,
            )
        else:
            url = accounts.repository_url(owner, name)
            course.publish = replace(course.publish, owner=owner, url=url)


def _show_review(
    course: _Course,
    flow: QuestionFlow,
    stack: layers.Stack,
    options: WizardOptions,
    discovery: Discovery,
    echo: Callable[[str], None],
) -> None:
    shown = [
        Shown(
            e.spec.name,
            flow.values[e.spec.name],
            e.spec.secret,
            flow.origin.get(e.spec.name) == "given",
        )
        for e in flow.applicable()
        # Defaults of what publish checks against GitHub are summed up in the protection row.
        if not (e.spec.name in PUBLISH_ALIGNS and flow.origin.get(e.spec.name) == "default")
    ]
    baseline = any(layer.name == BASELINE_LAYER for layer in stack.layers)
    version = f" {course.info.version}" if course.info.version else ""
    lines = review_lines(
        template=f"{course.info.name}{version}",
        destination=course.dst,
        answers=shown,
        catalog=options.catalog,
        publish=course.publish,
        publish_note=discovery.note or "not published",
        protection=protection_text(
            flow.values, baseline=baseline, now=bool(course.publish and course.publish.now)
        ),
        dry_run=options.dry_run,
    )
    echo("\n".join(lines))


def _pick_change(
    flow: QuestionFlow, course: _Course, prompter: Prompter, accounts: GitHubAccounts | None
) -> str:
    from scaffolder.wizard.review import show_value

    options = [Option("(back to the review)", "")]
    options.append(Option(f"{'template':<16} {course.info.name}", "template"))
    options.append(Option(f"{'destination':<16} {course.dst}", "destination"))
    for entry in flow.applicable():
        value = show_value(flow.values[entry.spec.name], secret=entry.spec.secret)
        options.append(Option(f"{entry.spec.name:<16} {value}", entry.spec.name))
    if accounts and (course.publish or "github_owner" not in flow.values):
        what = "visibility, publish now" if "github_owner" in flow.values else "owner, visibility"
        options.append(Option(f"{'publishing':<16} {what}", "publish"))
    return str(prompter.select("Change which answer?", options, default="", search=True))


def _pick_template(
    options: WizardOptions,
    prompter: Prompter,
    *,
    current: str | None = None,
    guard: Guard | None = None,
) -> tuple[TemplateInfo, str]:
    """The template given on the command line, else one picked from the built-in templates and
    those the configuration file lists (an unavailable one, or one the access policy does not
    allow, is not offered)."""
    if options.template:
        return resolve_template(options.template, vcs_ref=options.vcs_ref), options.template
    templates = [*builtin_templates(), *(t for t in configured_templates() if t.available)]
    if not templates:
        raise UsageError(
            "no built-in templates are installed", hint="give a template folder or git URL"
        )
    message = "Template"
    if guard is not None:
        offered = [t for t in templates if guard.template_allowed(t)]
        if not offered:
            raise guard.no_templates(len(templates))
        if hidden := len(templates) - len(offered):
            message = f"Template ({hidden} hidden by the access policy)"
        templates = offered
    picked = prompter.select(
        message,
        [
            Option(
                f"{t.name}  {t.title} {t.version} [{', '.join(t.languages) or 'no language'}]"
                if t.version
                else f"{t.name}  {t.title} [{', '.join(t.languages) or 'no language'}]",
                t.name,
                t.description or None,
            )
            for t in templates
        ],
        default=current,
        search=True,
    )
    chosen = next(t for t in templates if t.name == picked)
    return chosen, chosen.name


def destination_problem(text: str) -> str:
    if not text.strip():
        return "give a folder for the new project, such as payments-api"
    path = Path(text.strip()).expanduser()
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        return f"{path} exists and is not empty; choose a new folder"
    return ""


def _ask_destination(prompter: Prompter, *, current: Path | None = None) -> Path:
    text = prompter.text(
        "Folder to create the project in (its name is the default component name)",
        default=str(current) if current else "",
        placeholder="payments-api",
        check=destination_problem,
    )
    return Path(text.strip()).expanduser().absolute()


def _check_given(stack: layers.Stack, given: Mapping[str, Any]) -> None:
    """An unknown `--set` key is a usage error before the first question, not after the last."""
    known = {q.name for q in stack.questions if q.when is not False}
    if unknown := sorted(set(given) - known):
        raise UsageError(
            f"unknown question{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            hint=f"this template asks: {', '.join(sorted(known))}",
        )


# -- after the review ------------------------------------------------------------------------
def replay_command(options: NewOptions, saved: Path) -> str:
    args = ["scaffolder", "new", str(options.template), "--output", str(options.output)]
    if options.vcs_ref:
        args += ["--vcs-ref", options.vcs_ref]
    args += ["--data-file", str(saved), "--no-input"]
    if options.catalog is None:
        args.append("--no-register")
    return shlex.join(args)
