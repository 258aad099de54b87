"""The wizard, driven in-process through prompt_toolkit's pipe input: real questionary prompts.

Keys are typed ahead into a pipe; the pipe is then closed, so a prompt the test did not expect
ends the wizard (as a closed terminal does) instead of hanging the suite. `Recorder` is a real
`Prompter` that also notes each question it asks.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from scaffolder.commands import new
from scaffolder.wizard import Cancelled, WizardOptions, WizardResult, run_wizard, save_answers
from scaffolder.wizard.prompts import Option, Prompter
from scaffolder.wizard.publishing import Discovery, GitHubAccounts
from scaffolder.wizard.review import Shown, protection_text, review_lines
from scaffolder.wizard.session import replay_command
from tests.helpers import build_file_tree

ENTER, DOWN, UP, SPACE = "\r", "\x1b[B", "\x1b[A", " "
ESC, CTRL_C, CLEAR = "\x1b", "\x03", "\x15"  # Ctrl-U clears the line
WATCHDOG = 15.0  # seconds; only for tests that keep the pipe open to type Esc
NO_GITHUB = Discovery(None, "not published: no GitHub token")

KITCHEN_SINK = {
    "copier.yml": """\
        _subdirectory: template
        _scaffolder:
          title: Kitchen sink
          description: Every kind of question a template can ask
          version: "0.1.0"
          languages: []
          baseline: false
        name:
          type: str
          help: Component name
          default: "{{ _folder_name }}"
          placeholder: payments-api
        description:
          type: str
          help: What it does
          default: ""
        owner:
          type: str
          help: Backstage owner
          placeholder: group:default/payments
        lifecycle:
          type: str
          help: Lifecycle stage
          choices: [experimental, production, deprecated]
          default: experimental
        system:
          type: str
          help: System
          default: ""
        package:
          type: str
          help: Package name
          default: "{{ name | replace('-', '_') }}"
          validator: "{% if not package.isidentifier() %}Not a Python identifier{% endif %}"
        use_db:
          type: bool
          help: Use a database?
          default: false
        db_name:
          type: str
          help: Database name
          when: "{{ use_db }}"
          default: "{{ package }}_db"
          validator: "{% if not db_name.startswith(package) %}Start with {{ package }}{% endif %}"
        features:
          type: str
          help: Features
          multiselect: true
          choices: [http, grpc, queue]
          default: [http]
          validator: "{% if not features %}Pick at least one feature{% endif %}"
        api_key:
          type: str
          help: API key
          secret: true
          default: ""
          validator: "{% if api_key and api_key | length < 8 %}At least 8 characters{% endif %}"
        replicas:
          type: int
          help: Replicas
          default: "{{ 3 if lifecycle == 'production' else 1 }}"
        region:
          type: str
          help: Region
          choices: [eu, us, mars]
          default: eu
          validator: "{% if region == 'mars' %}Not open yet; pick eu or us{% endif %}"
        """,
    "template/{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers | to_nice_yaml }}",
    "template/README.md.jinja": "# {{ name }}\n",
    "template/catalog-info.yaml.jinja": """\
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: {{ name }}
        spec:
          type: service
          lifecycle: {{ lifecycle }}
          owner: {{ owner }}
        """,
}


class Recorder(Prompter):
    """A real Prompter that notes each question asked (messages, in order)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def text(self, message: str, **kwargs: Any) -> str:
        self.asked.append(message)
        return super().text(message, **kwargs)

    def confirm(self, message: str, *, default: bool) -> bool:
        self.asked.append(message)
        return super().confirm(message, default=default)

    def select(self, message: str, options: Sequence[Option], **kwargs: Any) -> Any:
        self.asked.append(message)
        return super().select(message, options, **kwargs)

    def checkbox(self, message: str, options: Sequence[Option], **kwargs: Any) -> list[Any]:
        self.asked.append(message)
        return super().checkbox(message, options, **kwargs)


class Drive:
    def __init__(self) -> None:
        self.prompter = Recorder()
        self.lines: list[str] = []

    @property
    def out(self) -> str:
        return "\n".join(self.lines)

    def __call__(
        self,
        keys: Sequence[str],
        options: WizardOptions,
        *,
        discovery: Discovery = NO_GITHUB,
        close: bool = True,
    ) -> WizardResult:
        with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
            pipe.send_text("".join(keys))
            # A prompt the keys do not answer ends the wizard instead of hanging the suite.
            watchdog = threading.Timer(0 if close else WATCHDOG, pipe.close)
            watchdog.start()
            try:
                return run_wizard(
                    options, prompter=self.prompter, echo=self.lines.append, discovery=discovery
                )
            finally:
                watchdog.cancel()


@pytest.fixture
def drive() -> Drive:
    return Drive()


@pytest.fixture
def sink(tmp_path: Path) -> Path:
    return build_file_tree(tmp_path / "sink", KITCHEN_SINK)


@pytest.fixture
def options(sink: Path, tmp_path: Path) -> Callable[..., WizardOptions]:
    def make(**kwargs: Any) -> WizardOptions:
        base: dict[str, Any] = {
            "template": str(sink),
            "output": tmp_path / "svc" / "payments-api",
            "given": {},
            "catalog": tmp_path / "catalog.yaml",
        }
        return WizardOptions(**{**base, **kwargs})

    return make


def sink_keys(*, name: str = ENTER, owner: str = "group:payments" + ENTER) -> list[str]:
    """Answers for every kitchen-sink question, accepting defaults where possible."""
    return [
        name,  # name (pre-filled with the folder name)
        "Takes payments" + ENTER,  # description
        owner,  # owner
        ENTER,  # lifecycle: experimental
        ENTER,  # system: empty
        ENTER,  # package: computed from the name
        ENTER,  # use_db: no
        ENTER,  # features: [http]
        ENTER,  # api_key: empty
        ENTER,  # replicas: computed from lifecycle
        ENTER,  # region: eu
    ]


# -- the questions --------------------------------------------------------------------------
def test_every_prompt_kind_and_the_pipeline_takes_the_answers(drive: Drive, options: Any) -> None:
    keys = [
        CLEAR + "Bad_Name" + ENTER,  # refused inline by the template-agnostic naming rule...
        CLEAR + "ledger-api" + ENTER,  # ...and corrected
        "Keeps the ledger" + ENTER,
        "group:finance" + ENTER,
        DOWN + ENTER,  # lifecycle: production
        "finance" + ENTER,  # system
        ENTER,  # package: computed from the corrected name
        "y",  # use_db: yes (a confirm answers on the key)
        ENTER,  # db_name: computed from package
        SPACE + DOWN + SPACE + ENTER,  # features: untick http, tick grpc
        "s3cr3t-k3y" + ENTER,  # api_key: a password prompt
        ENTER,  # replicas: 3, because lifecycle is production
        DOWN + DOWN + ENTER,  # region: mars, which the template's validator refuses...
        UP + ENTER,  # ...so the select is asked again, starting at mars: us
        ENTER,  # review: Create it
    ]
    result = drive(keys, options())
    answers = result.options.given
    assert answers == {
        "name": "ledger-api",
        "description": "Keeps the ledger",
        "owner": "group:finance",
        "lifecycle": "production",
        "system": "finance",
        "package": "ledger_api",
        "use_db": True,
        "db_name": "ledger_api_db",
        "features": ["grpc"],
        "api_key": "s3cr3t-k3y",
        "replicas": 3,
        "region": "us",
    }
    # Every question asked once with its help text; the bad name did not end the wizard.
    assert drive.prompter.asked[:3] == ["Component name", "What it does", "Backstage owner"]
    assert drive.prompter.asked.count("Component name") == 1
    assert drive.prompter.asked.count("Region") == 2
    assert "✗ region: Not open yet; pick eu or us" in drive.out
    # The secret never reaches the review or the saved answers.
    assert "s3cr3t-k3y" not in drive.out
    assert "api_key" not in result.answers
    assert "hidden, never saved" in drive.out
    # The real pipeline accepts exactly these answers.
    scaffold = new.run(result.options)
    recorded = yaml.safe_load((scaffold.project / ".copier-answers.yml").read_text())
    assert recorded["name"] == "ledger-api" and recorded["replicas"] == 3
    assert "api_key" not in recorded


def test_when_false_questions_are_skipped_and_defaults_follow_earlier_answers(
    drive: Drive, options: Any
) -> None:
    result = drive([*sink_keys(name=CLEAR + "orders" + ENTER), ENTER], options())
    assert "Database name" not in drive.prompter.asked
    assert "db_name" not in result.options.given
    assert result.options.given["package"] == "orders"
    assert result.options.given["replicas"] == 1


def test_given_answers_are_not_asked_again(drive: Drive, options: Any) -> None:
    given = {"owner": "group:payments", "description": "From a data file", "use_db": "true"}
    keys = [ENTER] * 10
    result = drive(keys, options(given=given))
    assert "Backstage owner" not in drive.prompter.asked
    assert "What it does" not in drive.prompter.asked
    assert "Use a database?" not in drive.prompter.asked
    assert "Database name" in drive.prompter.asked  # its `when` follows the given answer
    assert result.options.given["use_db"] is True  # parsed like copier parses --set
    assert "description     From a data file (given)" in drive.out


def test_an_invalid_given_answer_is_asked_again_with_the_reason(drive: Drive, options: Any) -> None:
    keys = [ENTER, ENTER, CLEAR + "group:payments" + ENTER, *[ENTER] * 9]
    result = drive(keys, options(given={"owner": "Not An Owner!"}))
    assert "owner: the answer given ('Not An Owner!') is not valid" in drive.out
    assert result.options.given["owner"] == "group:payments"


def test_defaults_mode_asks_only_what_has_no_default_and_skips_the_review(
    drive: Drive, options: Any
) -> None:
    result = drive(["group:payments" + ENTER], options(defaults_only=True))
    assert drive.prompter.asked == ["Backstage owner"]
    assert result.options.given["name"] == "payments-api"
    assert "Review" not in drive.out


def test_template_picker_and_destination(drive: Drive, tmp_path: Path) -> None:
    dst = tmp_path / "made" / "billing"
    keys = ["python-serv", ENTER, str(dst) + ENTER, ENTER, ENTER, CLEAR + "group:payments" + ENTER]
    keys += [ENTER] * 3 + ["acme" + ENTER]  # lifecycle .. python; github_owner (a group's team)
    keys += [ENTER] * 4  # contact, licence, copyright holder, codeowners
    keys += [ENTER] * 4  # GitHub host, Code Security, review mode, admin bypass
    keys += [ENTER]  # Create it
    result = drive(keys, WizardOptions(template=None, output=None, given={}, catalog=None))
    assert drive.prompter.asked[0] == "Template"
    assert drive.prompter.asked[1].startswith("Folder to create the project in")
    assert result.options.template == "python-service"
    assert result.options.output == dst
    # The folder name is the default component name.
    assert result.options.given["name"] == "billing"
    assert "not registered (--no-register)" in drive.out


def test_destination_that_is_not_empty_is_refused_inline(drive: Drive, tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    (busy / "file").parent.mkdir()
    (busy / "file").write_text("x")
    fresh = tmp_path / "fresh-api"
    keys = [str(busy) + ENTER, CLEAR + str(fresh) + ENTER, ENTER, ENTER]
    keys += [CLEAR + "group:p" + ENTER]
    keys += [ENTER] * 3 + ["acme" + ENTER] + [ENTER] * 9  # .. the plan questions, Create it
    result = drive(
        keys, WizardOptions(template="python-service", output=None, given={}, catalog=None)
    )
    assert result.options.output == fresh
    assert drive.prompter.asked.count(drive.prompter.asked[0]) == 1


# -- the review -----------------------------------------------------------------------------
def test_review_change_an_answer_and_dependent_defaults_follow(drive: Drive, options: Any) -> None:
    keys = [*sink_keys()]
    keys += [DOWN + ENTER, "lifecycle" + ENTER, DOWN + ENTER]  # change lifecycle to production
    keys += [ENTER]  # Create it
    result = drive(keys, options())
    assert result.options.given["lifecycle"] == "production"
    assert result.options.given["replicas"] == 3  # the accepted default followed the change
    assert drive.out.count("Review") == 2


def test_an_answer_a_change_makes_invalid_is_asked_again(drive: Drive, options: Any) -> None:
    keys = sink_keys()
    keys[6] = "y"  # use_db
    keys.insert(7, CLEAR + "payments_api_main" + ENTER)  # db_name, typed (not the default)
    keys += [DOWN + ENTER, "name " + ENTER, CLEAR + "ledger" + ENTER]  # rename from the review
    keys += [CLEAR + "ledger_main" + ENTER]  # db_name no longer starts with the package
    keys += [ENTER]
    result = drive(keys, options())
    assert "✗ db_name: Start with ledger (after your change); please answer again" in drive.out
    assert result.options.given["package"] == "ledger"  # an accepted default: it followed
    assert result.options.given["db_name"] == "ledger_main"
    assert drive.prompter.asked.count("Database name") == 2


def test_review_can_change_the_destination(drive: Drive, options: Any, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    keys = [*sink_keys(), DOWN + ENTER, "destination" + ENTER, CLEAR + str(other) + ENTER]
    keys += [ENTER]  # back at the review (answers kept): Create it
    result = drive(keys, options())
    assert result.options.output == other
    assert result.options.given["owner"] == "group:payments"


def test_cancel_from_the_review_raises_and_writes_nothing(
    drive: Drive, options: Any, tmp_path: Path
) -> None:
    with pytest.raises(Cancelled):
        drive([*sink_keys(), UP + ENTER], options(save_answers=tmp_path / "answers.yml"))
    assert "Cancelled: nothing was written." in drive.out
    assert not (tmp_path / "svc").exists()
    assert not (tmp_path / "answers.yml").exists()
    assert not (tmp_path / "catalog.yaml").exists()


@pytest.mark.parametrize("key", [ESC, CTRL_C], ids=["esc", "ctrl-c"])
@pytest.mark.parametrize("prompt", ["text", "select"])
def test_esc_and_ctrl_c_cancel_a_prompt(drive: Drive, options: Any, key: str, prompt: str) -> None:
    # Esc must be the last key typed ahead: prompt_toolkit tells a lone Esc from an escape
    # sequence by a pause, so it is sent to the first prompt here; the pty test sends it later.
    picked = options(template=None) if prompt == "select" else options()
    with pytest.raises(KeyboardInterrupt):
        drive(["half typ", key], picked, close=False)
    assert drive.prompter.asked == ["Template" if prompt == "select" else "Component name"]


def test_review_lines_fit_an_80_by_24_terminal(drive: Drive, tmp_path: Path) -> None:
    keys = [ENTER, ENTER, CLEAR + "group:payments" + ENTER] + [ENTER] * 3 + ["acme" + ENTER]
    keys += [ENTER] * 9  # contact .. codeowners, the plan questions, then Create it
    options = WizardOptions(
        template="python-service",
        output=tmp_path / "a-rather-long-folder-name" / "payments-api",
        given={},
        catalog=tmp_path / "some" / "where" / "catalog.yaml",
    )
    drive(keys, options)
    review = drive.out[drive.out.index("Review") :].splitlines()
    assert all(len(line) <= 80 for line in review), review
    assert len(review) + 4 <= 24  # the review, then "Next step" and its three choices


# -- publishing -----------------------------------------------------------------------------
ACCOUNTS = GitHubAccounts("alice", ("acme",), "https://api.github.com")


def test_with_a_token_the_owner_is_picked_from_login_and_orgs(drive: Drive, tmp_path: Path) -> None:
    keys = [ENTER, ENTER, CLEAR + "group:payments" + ENTER, ENTER, ENTER, ENTER]  # .. python
    keys += [DOWN + ENTER]  # github_owner: acme (alice first, then her organisations)
    keys += [ENTER, ENTER, ENTER, ENTER]  # contact, licence, copyright holder, codeowners
    keys += [ENTER] * 4  # GitHub host, Code Security, review mode, admin bypass
    keys += [ENTER, ENTER]  # visibility: private (the default), publish now: yes
    keys += [ENTER]  # Create it
    options = WizardOptions(
        template="python-service", output=tmp_path / "payments-api", given={}, catalog=None
    )
    result = drive(keys, options, discovery=Discovery(ACCOUNTS, ""))
    assert result.options.given["github_owner"] == "acme"
    assert result.options.given["codeowners"] == "@acme/payments"
    assert result.publish is not None
    plan = result.publish
    assert (plan.owner, plan.private, plan.now) == ("acme", True, True)
    assert "repository      https://github.com/acme/payments-api" in drive.out
    assert "visibility      private; created and pushed now" in drive.out
    assert "ruleset on main: no force push or deletion" in drive.out


def test_visibility_can_be_changed_from_the_review(drive: Drive, tmp_path: Path) -> None:
    keys = [ENTER, ENTER, CLEAR + "group:payments" + ENTER, ENTER, ENTER, ENTER, ENTER]
    keys += [ENTER, ENTER, ENTER, ENTER]  # contact, licence, copyright holder, codeowners
    keys += [ENTER] * 4  # GitHub host, Code Security, review mode, admin bypass
    keys += [ENTER, "n"]  # private, publish later
    keys += [DOWN + ENTER, "publishing" + ENTER, DOWN + ENTER, "y"]  # public, now
    keys += [ENTER]
    options = WizardOptions(
        template="python-service", output=tmp_path / "payments-api", given={}, catalog=None
    )
    result = drive(keys, options, discovery=Discovery(ACCOUNTS, ""))
    assert result.publish is not None
    plan = result.publish
    assert (plan.owner, plan.private, plan.now) == ("alice", False, True)
    assert "visibility      private; not yet: `scaffolder publish` later" in drive.out
    assert "visibility      public; created and pushed now" in drive.out


def test_without_the_baseline_the_owner_is_asked_once(
    drive: Drive, options: Any, tmp_path: Path
) -> None:
    keys = [*sink_keys(), DOWN + ENTER, ENTER, ENTER]  # owner: acme; private; now
    keys += [DOWN + ENTER, "destination" + ENTER, CLEAR + str(tmp_path / "other") + ENTER]
    keys += [ENTER]  # back at the review, nothing asked again: Create it
    result = drive(keys, options(), discovery=Discovery(ACCOUNTS, ""))
    assert drive.prompter.asked.count("GitHub owner of the repository") == 1
    assert result.publish is not None
    # The name was the folder's (an accepted default), so it followed the new folder: so does
    # the repository.
    assert result.options.given["name"] == "other"
    assert (result.publish.owner, result.publish.url) == ("acme", "https://github.com/acme/other")
    assert "github_owner" not in result.options.given  # the template has no such question


def test_enterprise_server_urls() -> None:
    ghes = GitHubAccounts("alice", (), "https://ghe.example.com/api/v3")
    assert ghes.repository_url("acme", "api") == "https://ghe.example.com/acme/api"
    assert ACCOUNTS.repository_url("acme", "api") == "https://github.com/acme/api"


# -- saved answers --------------------------------------------------------------------------
def test_saved_answers_replay_the_same_scaffold_without_a_terminal(
    drive: Drive, options: Any, tmp_path: Path, run_cli: Any
) -> None:
    saved = tmp_path / "answers.yml"
    keys = [*sink_keys()[:6], "y", ENTER, ENTER, "hunter2hunter2" + ENTER, ENTER, ENTER, ENTER]
    result = drive(keys, options(save_answers=saved))
    assert result.replay is not None and "--data-file" in result.replay
    save_answers(saved, result.answers, result.replay)
    text = saved.read_text()
    assert "hunter2" not in text and "api_key" not in text
    assert "db_name: payments_api_db" in text
    first = new.run(result.options).project
    replay = tmp_path / "replayed" / "payments-api"
    code = run_cli(
        [
            "new",
            str(result.options.template),
            "--output",
            replay,
            "--data-file",
            saved,
            "--no-input",
            "--no-register",
            "--set",
            "api_key=hunter2hunter2",
        ]
    ).code
    assert code == 0
    answers_file = ".copier-answers.yml"
    assert (first / answers_file).read_text() == (replay / answers_file).read_text()


def test_replay_command_names_every_flag_it_needs(tmp_path: Path) -> None:
    options = new.NewOptions("python-service", tmp_path / "my api", {}, None)
    command = replay_command(options, tmp_path / "a.yml")
    assert command.startswith("scaffolder new python-service --output ")
    assert f"'{tmp_path / 'my api'}'" in command
    assert command.endswith("--no-input --no-register")


# -- pure rendering -------------------------------------------------------------------------
def test_review_lines_show_secrets_hidden_and_long_values_cut(tmp_path: Path) -> None:
    lines = review_lines(
        template="python-service 1.0.0",
        destination=tmp_path / "x",
        answers=[Shown("token", "abc", secret=True), Shown("description", "d" * 200)],
        catalog=None,
        publish=None,
        publish_note="not published",
        protection=protection_text({"required_approvals": 2}, baseline=True, now=False),
        dry_run=True,
    )
    assert lines[0].startswith("Review (dry run")
    assert "abc" not in "\n".join(lines)
    assert all(len(line) <= 80 for line in lines)
    assert any(line.endswith("…") for line in lines)
    assert "PRs need 2 approvals" in " ".join(line.strip() for line in lines)
    assert str(tmp_path / "x") in "".join(line.strip() for line in lines)  # wrapped, not cut


def test_the_wizard_is_not_imported_by_help() -> None:
    import subprocess
    import sys

    code = (
        "import sys, scaffolder.cli as c; c.build_parser(); "
        "print(any(m.split('.')[0] in ('questionary', 'prompt_toolkit') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- GitHub discovery against the fake GitHub -------------------------------------------------
def test_discovery_offers_the_login_then_its_organisations(fake_github: Any) -> None:
    from scaffolder.wizard.publishing import discover

    said: list[str] = []
    found = discover(None, note=said.append)
    assert found.accounts is not None, found.note
    assert found.accounts.owners == ["alice", "acme"]
    assert said == ["Checking what the GitHub token (GH_TOKEN) may publish to ..."]
    assert found.accounts.repository_url("acme", "api") == f"{fake_github.web_url}/acme/api"


def test_discovery_with_a_rejected_token_publishes_nothing(
    fake_github: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scaffolder.wizard.publishing import discover
    from tests.fakegithub.fixtures import TOKEN

    monkeypatch.setenv("GH_TOKEN", "ghp_notAValidToken000000000000000000000")
    found = discover(None)
    assert found.accounts is None
    assert found.note.startswith("not published (GitHub:")
    assert TOKEN not in found.note and "notAValidToken" not in found.note


def test_discovery_without_a_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from scaffolder.wizard.publishing import discover

    monkeypatch.setenv("PATH", str(tmp_path))  # no `gh` to ask for a token either
    found = discover(None)
    assert found.accounts is None
    assert "no GitHub token" in found.note


# -- Ctrl-C while the scaffold runs ----------------------------------------------------------
class InterruptAfter:
    """A Progress that stands for the person pressing Ctrl-C just after step `name`."""

    def __init__(self, name: str) -> None:
        self.name = name

    @contextlib.contextmanager
    def step(self, name: str, detail: str = "") -> Iterator[None]:
        yield
        if name == self.name:
            raise KeyboardInterrupt

    def note(self, message: str) -> None:
        return None


@pytest.mark.parametrize("step", ["render", "commit", "register"])
def test_ctrl_c_during_the_scaffold_undoes_this_run(
    drive: Drive, options: Any, tmp_path: Path, step: str
) -> None:
    from scaffolder.errors import Interrupted

    saved = tmp_path / "answers.yml"
    result = drive([*sink_keys(), ENTER], options(save_answers=saved))
    assert not saved.exists()  # nothing is written by the wizard itself
    with pytest.raises(Interrupted) as caught:
        new.run(result.options, progress=InterruptAfter(step))
    assert caught.value.exit_code == 130 and caught.value.undone
    assert caught.value.message == "interrupted: nothing was written"
    assert not result.options.output.exists()  # undone, with everything else
    assert not saved.exists()
    assert not (tmp_path / "catalog.yaml").exists()


def test_ctrl_c_keeps_what_was_there_before(drive: Drive, options: Any, tmp_path: Path) -> None:
    from scaffolder.catalog import locations
    from scaffolder.errors import Interrupted

    catalog = tmp_path / "catalog.yaml"
    locations.register(catalog, "https://example.com/other/catalog-info.yaml", target_type="url")
    dst = tmp_path / "svc" / "payments-api"
    dst.mkdir(parents=True)  # an existing empty folder is a valid destination
    result = drive([*sink_keys(), ENTER], options())
    with pytest.raises(Interrupted):
        new.run(result.options, progress=InterruptAfter("register"))
    assert [e.target for e in locations.read_entries(catalog)] == [
        "https://example.com/other/catalog-info.yaml"
    ]
    assert dst.is_dir() and not any(dst.iterdir())  # emptied, but the folder was not ours


def test_a_broken_validator_is_shown_inline_not_a_crash(drive: Drive, tmp_path: Path) -> None:
    broken = dict(KITCHEN_SINK)
    broken["copier.yml"] = broken["copier.yml"].replace(
        "placeholder: payments-api",
        'placeholder: payments-api\n          validator: "{{ nope.attr }}"',
    )
    template = build_file_tree(tmp_path / "broken", broken)
    options = WizardOptions(template=str(template), output=tmp_path / "svc", given={}, catalog=None)
    with pytest.raises(KeyboardInterrupt):
        drive([ENTER, ESC], options, close=False)
    assert drive.prompter.asked == ["Component name"]


def test_a_long_validation_error_is_wrapped_not_cut() -> None:
    from scaffolder.wizard.prompts import _ErrorLines

    message = "Use lowercase letters, digits and single hyphens, starting with a letter, " * 2
    errors = _ErrorLines()
    with create_app_session(output=DummyOutput()):  # 80 columns
        first = errors.split(message.strip())
    assert first.startswith("✗ Use lowercase") and len(first) <= 80
    assert errors.rest and all(len("  " + line) <= 80 for line in errors.rest)
    assert " ".join([first.removeprefix("✗ "), *errors.rest]) == message.strip()


# -- owners and CODEOWNERS; prompt text ------------------------------------------------------
def test_typing_replaces_a_default_instead_of_appending_to_it(
    drive: Drive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGNAME", "root")
    monkeypatch.setenv("USER", "root")
    keys = [ENTER, ENTER, "user:jdoe" + ENTER]  # name, description, owner: typed over user:root
    keys += [ENTER] * 8 + [ENTER]  # lifecycle .. copyright holder, codeowners, then Create it
    options = WizardOptions(
        template="python-service", output=tmp_path / "payments-api", given={}, catalog=None
    )
    result = drive(keys, options)
    assert result.options.given["owner"] == "user:jdoe"  # not user:rootuser:jdoe
    assert result.options.given["name"] == "payments-api"  # Enter took the suggestion
    assert result.options.given["codeowners"] == "@jdoe"


def test_the_login_stays_a_suggestion_that_enter_accepts(
    drive: Drive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGNAME", "jdoe")
    monkeypatch.setenv("USER", "jdoe")
    options = WizardOptions(
        template="python-service", output=tmp_path / "payments-api", given={}, catalog=None
    )
    result = drive([ENTER] * 12, options)
    assert result.options.given["owner"] == "user:jdoe"
    assert new.run(result.options).answers is not None  # the pipeline takes it as given


def test_a_group_owner_without_github_owner_asks_for_the_team(drive: Drive, tmp_path: Path) -> None:
    # --defaults: github_owner's default (empty) is taken, and codeowners then has none: it is
    # asked, and an empty answer is refused.
    keys = [ENTER, "@acme/payments-team" + ENTER]
    options = WizardOptions(
        template="python-service",
        output=tmp_path / "payments-api",
        given={"owner": "group:payments"},
        catalog=None,
        defaults_only=True,
    )
    result = drive(keys, options)
    asked = [m for m in drive.prompter.asked if m.startswith("GitHub owners of every path")]
    assert len(asked) == 1
    assert result.options.given["codeowners"] == "@acme/payments-team"
    assert new.run(result.options).answers is not None


def test_with_a_github_owner_the_team_follows_the_group(drive: Drive, tmp_path: Path) -> None:
    options = WizardOptions(
        template="python-service",
        output=tmp_path / "payments-api",
        given={"owner": "group:default/Pay_Ments", "github_owner": "acme"},
        catalog=None,
        defaults_only=True,
    )
    result = drive([], options)
    assert result.options.given["codeowners"] == "@acme/pay-ments"
    assert not any(m.startswith("GitHub owners") for m in drive.prompter.asked)


def test_prompt_messages_wrap_at_word_boundaries() -> None:
    from scaffolder.wizard.prompts import wrap

    message = "GitHub owners of every path (CODEOWNERS), space-separated @org/team, @user or email"
    lines = wrap(message, 80).splitlines()
    assert len(lines) > 1
    assert all(len("? " + line) <= 80 for line in lines)
    assert " ".join(line.strip() for line in lines) == message  # no word cut
    assert wrap("Lifecycle stage", 80) == "Lifecycle stage"


def test_after_the_answer_the_transcript_shows_what_was_taken_not_the_placeholder() -> None:
    from scaffolder.wizard.prompts import _Suggestion

    example = _Suggestion("", "Takes payments", secret=False)
    default = _Suggestion("user:jdoe", "group:x", secret=False)
    secret = _Suggestion("hunter22", "", secret=True)
    # While asking: the default marked as such (even without colour), or the example.
    assert [t for _, t in example.shown(done=False)] == ["Takes payments"]
    assert [t for _, t in default.shown(done=False)] == ["user:jdoe", " (default)"]
    # Answered with an empty line: no leftover placeholder, the default shown as the answer.
    assert example.shown(done=True) == []
    assert default.shown(done=True) == [("class:answer", "user:jdoe")]
    assert "hunter22" not in str(secret.shown(done=False)) + str(secret.shown(done=True))


def test_the_review_says_what_protection_a_user_owned_repository_gets() -> None:
    text = protection_text(
        {"required_approvals": 0, "review_mode": "none", "code_security": False},
        baseline=True,
        now=True,
    )
    assert "no approval" in text and "CodeQL" not in text and "code-owner" not in text
    team = protection_text({"required_approvals": 2, "review_mode": "team"}, baseline=True, now=0)
    assert "2 approvals and code-owner review" in team and "CodeQL" in team
