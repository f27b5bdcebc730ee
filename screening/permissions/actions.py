"""The one way a view runs an action a person asked for and tells them how it went.

`attempt` runs the action: the sentence it returns is shown at `level` (nothing for None); a
refusal (`Refused`) or a `ValidationError` is shown as an error instead. `run_action` picks the
action named in the URL. The view redirects afterwards either way. A view that re-renders its
form with the errors in place does not use these; one that redirects shows a form's errors
with `show_form_errors`."""

from collections.abc import Callable, Mapping

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest

from screening.permissions.refusals import Refused

# An action: does the work, and returns the sentence that says it is done (or None).
Action = Callable[[], str | None]


def attempt(request: HttpRequest, do: Action, *, level: int = messages.SUCCESS) -> bool:
    """Run `do`; show its sentence, or why it was refused. Whether it was done."""
    try:
        sentence = do()
    except Refused as error:
        messages.error(request, str(error))
        return False
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return False
    if sentence is not None:
        messages.add_message(request, level, sentence)
    return True


def run_action(
    request: HttpRequest,
    action: str,
    handlers: Mapping[str, Action],
    *,
    level: int = messages.SUCCESS,
) -> bool:
    """`attempt` the handler of `action`; 404 for an action there is no handler for."""
    if action not in handlers:
        raise Http404("No such action.")
    return attempt(request, handlers[action], level=level)


def show_form_errors(request: HttpRequest, form: BaseForm) -> None:
    """A posted form's errors as one error message, for a view that redirects."""
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
